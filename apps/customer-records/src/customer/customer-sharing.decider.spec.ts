import type { CustomerEvent } from '@warden/contracts';
import { archived, erased, erasure, given, newCustomer, registered } from './customer-decider.fixtures';
import { evolve, initialCustomerState, MAX_SHARES_PER_CUSTOMER, type CustomerState } from './customer.decider';
import { CustomerErrorCode } from './customer.exception';

const shared = (customerId: string, userId: string): CustomerEvent => ({
  type: 'CustomerShared',
  data: { customerId, userId, reason: 'joint account review' },
});
const unshared = (customerId: string, userId: string): CustomerEvent => ({
  type: 'CustomerUnshared',
  data: { customerId, userId, reason: null },
});
const share = (customerId: string, userId: string) => ({
  type: 'ShareCustomer' as const,
  data: { customerId, userId, reason: 'joint account review' },
});
const unshare = (customerId: string, userId: string) => ({
  type: 'UnshareCustomer' as const,
  data: { customerId, userId, reason: null },
});

describe('Customer sharing', () => {
  describe('ShareCustomer', () => {
    it('records CustomerShared for a user the customer is not shared with yet', () => {
      const customer = newCustomer();
      given([registered(customer)])
        .when(share(customer.customerId, 'partner-1'))
        .then([shared(customer.customerId, 'partner-1')]);
    });

    it('changes nothing when the customer is already shared with that user', () => {
      const customer = newCustomer();
      given([registered(customer), shared(customer.customerId, 'partner-1')])
        .when(share(customer.customerId, 'partner-1'))
        .then([]);
    });

    it('refuses to share a customer with its own owner (409)', () => {
      const customer = newCustomer({ ownerId: 'user-7' });
      given([registered(customer)]).when(share(customer.customerId, 'user-7')).thenThrows(CustomerErrorCode.OwnedByUser, 409);
    });

    it(`refuses a share beyond ${MAX_SHARES_PER_CUSTOMER} (409)`, () => {
      const customer = newCustomer();
      const past = [registered(customer)];
      for (let i = 0; i < MAX_SHARES_PER_CUSTOMER; i += 1) past.push(shared(customer.customerId, `partner-${i}`));
      given(past).when(share(customer.customerId, 'one-too-many')).thenThrows(CustomerErrorCode.TooManyShares, 409);
    });

    it('refuses an archived (409), erased (410) or unknown (404) customer', () => {
      const customer = newCustomer();
      given([registered(customer), archived(customer.customerId)])
        .when(share(customer.customerId, 'partner-1'))
        .thenThrows(CustomerErrorCode.Archived, 409);
      given([registered(customer), erased(erasure(customer.customerId))])
        .when(share(customer.customerId, 'partner-1'))
        .thenThrows(CustomerErrorCode.Erased, 410);
      given([]).when(share(customer.customerId, 'partner-1')).thenThrows(CustomerErrorCode.NotFound, 404);
    });
  });

  describe('UnshareCustomer', () => {
    it('records CustomerUnshared for a current share, on an archived customer too', () => {
      const customer = newCustomer();
      given([registered(customer), shared(customer.customerId, 'partner-1'), archived(customer.customerId)])
        .when(unshare(customer.customerId, 'partner-1'))
        .then([unshared(customer.customerId, 'partner-1')]);
    });

    it('answers SHARE_NOT_FOUND (404) for a user the customer is not shared with', () => {
      const customer = newCustomer();
      given([registered(customer), shared(customer.customerId, 'partner-1'), unshared(customer.customerId, 'partner-1')])
        .when(unshare(customer.customerId, 'partner-1'))
        .thenThrows(CustomerErrorCode.ShareNotFound, 404);
    });
  });

  describe('evolve', () => {
    it('keeps the shares in the order given, and drops an ended one', () => {
      const customer = newCustomer();
      const state = [
        registered(customer),
        shared(customer.customerId, 'partner-1'),
        shared(customer.customerId, 'partner-2'),
        unshared(customer.customerId, 'partner-1'),
      ].reduce<CustomerState>(evolve, initialCustomerState);
      expect(state).toMatchObject({ version: 4, sharedWith: ['partner-2'] });
    });
  });
});
