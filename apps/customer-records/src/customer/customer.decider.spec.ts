import type { CustomerEvent, CustomerRegisteredData } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { CustomerCommand, RegisterCustomer } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import { CustomerError, CustomerErrorCode } from './customer.exception';

/**
 * `given(past events).when(command).then(new events)` or `.thenThrows(code)`: the state is
 * rebuilt from the past events with `evolve`, exactly as the service loads it.
 */
function given(past: readonly CustomerEvent[]) {
  const state = past.reduce<CustomerState>(evolve, initialCustomerState);
  return {
    when(command: CustomerCommand) {
      const run = () => decide(command, state);
      return {
        then(expected: readonly CustomerEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: CustomerErrorCode, status: number): CustomerError {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(CustomerError);
          expect(thrown).toMatchObject({ code, status });
          return thrown as CustomerError;
        },
      };
    },
  };
}

/** The data of a customer of the test's own. */
const newCustomer = (overrides: Partial<CustomerRegisteredData> = {}): CustomerRegisteredData => ({
  customerId: uuidv7(),
  name: 'Grace Hopper',
  company: 'Eckert-Mauchly',
  tags: ['navy', 'cobol'],
  classification: 'confidential',
  ownerId: 'user-7',
  teamId: 'team-2',
  ...overrides,
});

const register = (data: CustomerRegisteredData): RegisterCustomer => ({
  type: 'RegisterCustomer',
  data: { ...data },
});
const registered = (data: CustomerRegisteredData): CustomerEvent => ({
  type: 'CustomerRegistered',
  data: { ...data },
});

describe('Customer', () => {
  describe('RegisterCustomer', () => {
    describe('when the customer does not exist yet', () => {
      it('records CustomerRegistered with the data of the command', () => {
        const customer = newCustomer();
        given([])
          .when(register(customer))
          .then([registered(customer)]);
      });

      it('records a customer without company, owner or team as such', () => {
        const customer = newCustomer({
          company: null,
          ownerId: null,
          teamId: null,
          tags: [],
          classification: 'public',
        });
        given([])
          .when(register(customer))
          .then([registered(customer)]);
      });

      it('does not share the command data with the event', () => {
        const command = register(newCustomer());
        const [event] = decide(command, initialCustomerState);
        expect(event.data).toEqual(command.data);
        expect(event.data).not.toBe(command.data);
      });
    });

    describe('when the customer is already registered', () => {
      it('refuses with CUSTOMER_ALREADY_REGISTERED (409), naming the customer', () => {
        const customer = newCustomer();
        const error = given([registered(customer)])
          .when(register(customer))
          .thenThrows(CustomerErrorCode.AlreadyRegistered, 409);
        expect(error.code).toBe('CUSTOMER_ALREADY_REGISTERED');
        expect(error.message).toBe(`customer ${customer.customerId} already exists`);
      });

      it('refuses even when the new registration carries different data', () => {
        const customer = newCustomer();
        given([registered(customer)])
          .when(register({ ...customer, name: 'Someone Else', classification: 'public' }))
          .thenThrows(CustomerErrorCode.AlreadyRegistered, 409);
      });
    });
  });

  describe('evolve', () => {
    it('starts unregistered', () => {
      expect(initialCustomerState).toEqual({ status: 'unregistered' });
    });

    it('makes a registered customer active with the registered data, its id as `id`', () => {
      const customer = newCustomer();
      expect(evolve(initialCustomerState, registered(customer))).toEqual({
        status: 'active',
        id: customer.customerId,
        name: 'Grace Hopper',
        company: 'Eckert-Mauchly',
        tags: ['navy', 'cobol'],
        classification: 'confidential',
        ownerId: 'user-7',
        teamId: 'team-2',
      });
    });

    it('leaves the state it was given untouched', () => {
      const before: CustomerState = { status: 'unregistered' };
      evolve(before, registered(newCustomer()));
      expect(before).toEqual({ status: 'unregistered' });
    });
  });
});
