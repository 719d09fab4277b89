import type { CustomerEvent, CustomerRegisteredData, CustomerSensitiveFields } from '@warden/contracts';
import type { CustomerCommand } from './customer.commands';
import { CustomerError, CustomerErrorCode } from './customer.exception';

export type CustomerState =
  | { status: 'unregistered' }
  | ({ status: 'active' } & Omit<CustomerRegisteredData, 'customerId'> & { id: string })
  /** Erased: nothing of the customer but its id is kept (its data key is shredded too). */
  | { status: 'erased'; id: string };

export const initialCustomerState: CustomerState = { status: 'unregistered' };

/** Pure: what a command on a customer produces, given the customer's state. */
export function decide(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer': {
      if (state.status !== 'unregistered') {
        throw new CustomerError(CustomerErrorCode.AlreadyRegistered, `customer ${command.data.customerId} already exists`);
      }
      return [{ type: 'CustomerRegistered', data: { ...command.data, sensitive: copySensitive(command.data.sensitive) } }];
    }
    case 'EraseCustomer': {
      const { customerId } = command.data;
      if (state.status === 'unregistered') {
        throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
      }
      if (state.status === 'erased') {
        throw new CustomerError(CustomerErrorCode.Erased, `customer ${customerId} has been erased`);
      }
      return [{ type: 'CustomerErased', data: { ...command.data } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as CustomerCommand).type}`);
    }
  }
}

/** A copy that shares no object with the command (the event must not change with it). */
function copySensitive(sensitive: CustomerSensitiveFields): CustomerSensitiveFields {
  return Object.fromEntries(
    Object.entries(sensitive).map(([field, value]) => [field, { ...value }]),
  ) as CustomerSensitiveFields;
}

/** Pure: the customer's state after an event. */
export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered': {
      const { customerId, ...rest } = event.data;
      return { status: 'active', id: customerId, ...rest };
    }
    case 'CustomerErased':
      return { status: 'erased', id: event.data.customerId };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as CustomerEvent).type}`);
    }
  }
}
