import type { CustomerEvent } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import { archived, erased, erasure, given, newCustomer, registered, token } from './customer-decider.fixtures';
import type { RecordConsent } from './customer.commands';
import { evolve, initialCustomerState, type CustomerState } from './customer.decider';
import { CustomerErrorCode } from './customer.exception';

const consent = (customerId: string, purpose: string, templateVersion: string, granted: boolean): RecordConsent => ({
  type: 'RecordConsent',
  data: { customerId, purpose, templateVersion, granted },
});
const granted = (customerId: string, purpose: string, templateVersion: string): CustomerEvent => ({
  type: 'ConsentGranted',
  data: { customerId, purpose, templateVersion },
});
const withdrawn = (customerId: string, purpose: string, templateVersion: string): CustomerEvent => ({
  type: 'ConsentWithdrawn',
  data: { customerId, purpose, templateVersion },
});

describe('Customer activity', () => {
  const customer = newCustomer();
  const id = customer.customerId;

  describe('AddCustomerNote', () => {
    const data = { customerId: id, noteId: uuidv7(), body: { ciphertext: token(6) } };

    it('records CustomerNoteAdded with the body ciphertext only', () => {
      given([registered(customer)]).when({ type: 'AddCustomerNote', data }).then([{ type: 'CustomerNoteAdded', data }]);
    });

    it('refuses an archived (409), erased (410) or missing (404) customer', () => {
      given([registered(customer), archived(id)]).when({ type: 'AddCustomerNote', data }).thenThrows(CustomerErrorCode.Archived, 409);
      given([registered(customer), erased(erasure(id))]).when({ type: 'AddCustomerNote', data }).thenThrows(CustomerErrorCode.Erased, 410);
      given([]).when({ type: 'AddCustomerNote', data }).thenThrows(CustomerErrorCode.NotFound, 404);
    });
  });

  describe('RecordCustomerTransaction', () => {
    const data = { customerId: id, transactionId: uuidv7(), amount: '1234.50', currency: 'CNY', date: '2025-06-01', product: 'Gold card' };

    it('records CustomerTransactionRecorded as given', () => {
      given([registered(customer)])
        .when({ type: 'RecordCustomerTransaction', data })
        .then([{ type: 'CustomerTransactionRecorded', data }]);
    });

    it('refuses an archived (409) or erased (410) customer', () => {
      given([registered(customer), archived(id)]).when({ type: 'RecordCustomerTransaction', data }).thenThrows(CustomerErrorCode.Archived, 409);
      given([registered(customer), erased(erasure(id))]).when({ type: 'RecordCustomerTransaction', data }).thenThrows(CustomerErrorCode.Erased, 410);
    });
  });

  describe('RecordConsent', () => {
    it('records ConsentGranted for a purpose not granted yet', () => {
      given([registered(customer)]).when(consent(id, 'marketing', 't-1', true)).then([granted(id, 'marketing', 't-1')]);
    });

    it('records nothing when the same template version is granted again, and a grant of a new version', () => {
      given([registered(customer), granted(id, 'marketing', 't-1')]).when(consent(id, 'marketing', 't-1', true)).then([]);
      given([registered(customer), granted(id, 'marketing', 't-1')])
        .when(consent(id, 'marketing', 't-2', true))
        .then([granted(id, 'marketing', 't-2')]);
    });

    it('records ConsentWithdrawn for a granted purpose, also on an archived customer', () => {
      given([registered(customer), granted(id, 'marketing', 't-1'), archived(id)])
        .when(consent(id, 'marketing', 't-1', false))
        .then([withdrawn(id, 'marketing', 't-1')]);
    });

    it('refuses to withdraw a consent not given or already withdrawn (CONSENT_NOT_GRANTED, 409)', () => {
      given([registered(customer)]).when(consent(id, 'marketing', 't-1', false)).thenThrows(CustomerErrorCode.ConsentNotGranted, 409);
      given([registered(customer), granted(id, 'marketing', 't-1'), withdrawn(id, 'marketing', 't-1')])
        .when(consent(id, 'marketing', 't-1', false))
        .thenThrows(CustomerErrorCode.ConsentNotGranted, 409);
    });

    it('keeps the consent of each purpose apart', () => {
      given([registered(customer), granted(id, 'marketing', 't-1')])
        .when(consent(id, 'profiling', 't-1', false))
        .thenThrows(CustomerErrorCode.ConsentNotGranted, 409);
      const state = [registered(customer), granted(id, 'marketing', 't-1'), granted(id, 'profiling', 't-3'), withdrawn(id, 'marketing', 't-1')]
        .reduce<CustomerState>(evolve, initialCustomerState);
      expect(state).toMatchObject({
        consents: { marketing: { granted: false, templateVersion: 't-1' }, profiling: { granted: true, templateVersion: 't-3' } },
      });
    });

    it('refuses an erased customer (410)', () => {
      given([registered(customer), erased(erasure(id))]).when(consent(id, 'marketing', 't-1', true)).thenThrows(CustomerErrorCode.Erased, 410);
    });
  });

  describe('ChangeCustomerOwner', () => {
    const transferId = uuidv7();
    const change = (toOwnerId: string) => ({
      type: 'ChangeCustomerOwner' as const,
      data: { customerId: id, toOwnerId, transferId, reason: 'offboarding:case-1' },
    });

    it('records CustomerOwnerChanged from the current owner, also for an archived customer', () => {
      const expected: CustomerEvent[] = [
        { type: 'CustomerOwnerChanged', data: { customerId: id, fromOwnerId: 'user-7', toOwnerId: 'user-9', transferId, reason: 'offboarding:case-1' } },
      ];
      given([registered(customer)]).when(change('user-9')).then(expected);
      given([registered(customer), archived(id)]).when(change('user-9')).then(expected);
    });

    it('records nothing when the customer already belongs to the new owner (a transfer done again)', () => {
      given([registered(customer)]).when(change('user-7')).then([]);
    });

    it('refuses an erased (410) or missing (404) customer', () => {
      given([registered(customer), erased(erasure(id))]).when(change('user-9')).thenThrows(CustomerErrorCode.Erased, 410);
      given([]).when(change('user-9')).thenThrows(CustomerErrorCode.NotFound, 404);
    });
  });
});
