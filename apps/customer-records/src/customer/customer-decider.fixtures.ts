import type { CustomerEvent, CustomerErasedData, NewCustomerRegisteredData } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { CustomerCommand } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import { CustomerError, type CustomerErrorCode } from './customer.exception';

/**
 * `given(past events).when(command).then(new events)` or `.thenThrows(code, status)`: the state is
 * rebuilt from the past events with `evolve`, exactly as the service loads it.
 */
export function given(past: readonly CustomerEvent[]) {
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

/** Ciphertext tokens and blind indexes shaped as `@warden/crypto` makes them (the decider never sees clear values). */
export const token = (n: number): string => `v1.${'a'.repeat(16)}${n}.${'b'.repeat(30)}${n}`;
export const index = (n: number): string => String(n).repeat(64).slice(0, 64);
export const sensitive = () => ({
  mobile: { ciphertext: token(1), index: index(1) },
  email: { ciphertext: token(2), index: index(2) },
  nationalId: { ciphertext: token(3), index: index(3) },
  address: { ciphertext: token(4) },
});

/** The data of a customer of the test's own (registration v3: name and company encrypted). */
export const newCustomer = (overrides: Partial<NewCustomerRegisteredData> = {}): NewCustomerRegisteredData => ({
  customerId: uuidv7(),
  tags: ['navy', 'cobol'],
  classification: 'confidential',
  ownerId: 'user-7',
  teamId: 'team-2',
  sensitive: { name: { ciphertext: token(8) }, company: { ciphertext: token(9) } },
  ...overrides,
});

export const registered = (data: NewCustomerRegisteredData): CustomerEvent => ({ type: 'CustomerRegistered', data: { ...data } });

export const erasure = (customerId: string, overrides: Partial<CustomerErasedData> = {}): CustomerErasedData => ({
  customerId,
  legalBasis: 'subject-request',
  reason: 'data subject request DSR-1042',
  ...overrides,
});
export const erased = (data: CustomerErasedData): CustomerEvent => ({ type: 'CustomerErased', data: { ...data } });
export const archived = (customerId: string): CustomerEvent => ({ type: 'CustomerArchived', data: { customerId, reason: null } });
