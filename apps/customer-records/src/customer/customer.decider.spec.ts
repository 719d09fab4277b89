import {
  customerRegisteredV2,
  upcastCustomerRegisteredV1,
  type CustomerErasedData,
  type CustomerEvent,
  type CustomerRegisteredData,
} from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { CustomerCommand, EraseCustomer, RegisterCustomer } from './customer.commands';
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
  sensitive: {},
  ...overrides,
});

/** Ciphertext tokens and blind indexes shaped as `@warden/crypto` makes them (the decider never sees clear values). */
const token = (n: number): string => `v1.${'a'.repeat(16)}${n}.${'b'.repeat(30)}${n}`;
const index = (n: number): string => String(n).repeat(64).slice(0, 64);
const sensitive = () => ({
  mobile: { ciphertext: token(1), index: index(1) },
  email: { ciphertext: token(2), index: index(2) },
  nationalId: { ciphertext: token(3), index: index(3) },
  address: { ciphertext: token(4) },
});

const register = (data: CustomerRegisteredData): RegisterCustomer => ({
  type: 'RegisterCustomer',
  data: { ...data },
});
const registered = (data: CustomerRegisteredData): CustomerEvent => ({
  type: 'CustomerRegistered',
  data: { ...data },
});

/** The one event decided, which must be a registration. */
const onlyRegistered = (events: CustomerEvent[]): Extract<CustomerEvent, { type: 'CustomerRegistered' }> => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event.type !== 'CustomerRegistered') throw new Error(`expected CustomerRegistered, got ${event.type}`);
  return event;
};

const erasure = (customerId: string, overrides: Partial<CustomerErasedData> = {}): CustomerErasedData => ({
  customerId,
  legalBasis: 'subject-request',
  reason: 'data subject request DSR-1042',
  ...overrides,
});
const erase = (data: CustomerErasedData): EraseCustomer => ({ type: 'EraseCustomer', data: { ...data } });
const erased = (data: CustomerErasedData): CustomerEvent => ({ type: 'CustomerErased', data: { ...data } });

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

      it('records the ciphertexts and blind indexes of the sensitive fields as given (schema version 2)', () => {
        const customer = newCustomer({ sensitive: sensitive() });
        given([])
          .when(register(customer))
          .then([registered(customer)]);
        const event = onlyRegistered(decide(register(customer), initialCustomerState));
        expect(customerRegisteredV2.safeParse(event.data).success).toBe(true);
      });

      it('records only the sensitive fields that were given', () => {
        const { mobile, address } = sensitive();
        const customer = newCustomer({ sensitive: { mobile, address } });
        const event = onlyRegistered(decide(register(customer), initialCustomerState));
        expect(event.data.sensitive).toEqual({ mobile, address });
        expect(Object.keys(event.data.sensitive).sort()).toEqual(['address', 'mobile']);
      });

      it('does not share the sensitive fields of the command with the event', () => {
        const command = register(newCustomer({ sensitive: sensitive() }));
        const event = onlyRegistered(decide(command, initialCustomerState));
        expect(event.data.sensitive).toEqual(command.data.sensitive);
        expect(event.data.sensitive).not.toBe(command.data.sensitive);
        expect(event.data.sensitive.mobile).not.toBe(command.data.sensitive.mobile);
      });

      it('does not share the command data with the event', () => {
        const command = register(newCustomer());
        const event = onlyRegistered(decide(command, initialCustomerState));
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

  describe('EraseCustomer', () => {
    describe('when the customer is active', () => {
      it('records CustomerErased with the legal basis and reason of the command', () => {
        const customer = newCustomer({ sensitive: sensitive() });
        const data = erasure(customer.customerId, { legalBasis: 'retention-expired', reason: 'retention of 5 years over' });
        given([registered(customer)])
          .when(erase(data))
          .then([erased(data)]);
      });

      it('records no ciphertext, index, name or company of the customer in the event', () => {
        const customer = newCustomer({ sensitive: sensitive() });
        const events = decide(erase(erasure(customer.customerId)), evolve(initialCustomerState, registered(customer)));
        const dump = JSON.stringify(events);
        for (const secret of [token(1), index(1), token(4), customer.name, customer.company ?? '']) {
          expect(dump).not.toContain(secret);
        }
      });
    });

    describe('when the customer has already been erased', () => {
      it('refuses with CUSTOMER_ERASED (410), naming the customer', () => {
        const customer = newCustomer();
        const error = given([registered(customer), erased(erasure(customer.customerId))])
          .when(erase(erasure(customer.customerId, { legalBasis: 'legal-obligation' })))
          .thenThrows(CustomerErrorCode.Erased, 410);
        expect(error.message).toBe(`customer ${customer.customerId} has been erased`);
      });

      it('refuses to register it again (CUSTOMER_ALREADY_REGISTERED, 409)', () => {
        const customer = newCustomer();
        given([registered(customer), erased(erasure(customer.customerId))])
          .when(register(customer))
          .thenThrows(CustomerErrorCode.AlreadyRegistered, 409);
      });
    });

    describe('when the customer does not exist', () => {
      it('refuses with CUSTOMER_NOT_FOUND (404)', () => {
        given([])
          .when(erase(erasure(uuidv7())))
          .thenThrows(CustomerErrorCode.NotFound, 404);
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
        sensitive: {},
      });
    });

    it('keeps the ciphertexts of a v2 registration in the state, never clear values', () => {
      const customer = newCustomer({ sensitive: sensitive() });
      const state = evolve(initialCustomerState, registered(customer));
      expect(state).toMatchObject({ status: 'active', sensitive: sensitive() });
    });

    it('rebuilds a customer registered at version 1 (upcast: no sensitive fields)', () => {
      const { sensitive: _none, ...v1 } = newCustomer();
      const upcast = upcastCustomerRegisteredV1(v1) as CustomerRegisteredData;
      expect(evolve(initialCustomerState, { type: 'CustomerRegistered', data: upcast })).toMatchObject({
        status: 'active',
        id: v1.customerId,
        sensitive: {},
      });
    });

    it('keeps only the id of an erased customer, none of its data or ciphertexts', () => {
      const customer = newCustomer({ sensitive: sensitive() });
      const state = [registered(customer), erased(erasure(customer.customerId))].reduce<CustomerState>(
        evolve,
        initialCustomerState,
      );
      expect(state).toEqual({ status: 'erased', id: customer.customerId });
    });

    it('leaves the state it was given untouched', () => {
      const before: CustomerState = { status: 'unregistered' };
      evolve(before, registered(newCustomer()));
      expect(before).toEqual({ status: 'unregistered' });
    });
  });
});
