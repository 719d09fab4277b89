import { upcastCustomerRegisteredV1, upcastCustomerRegisteredV2, type CustomerRegisteredData } from '@warden/contracts';
import { StreamVersionConflict } from '@warden/event-store';
import { v7 as uuidv7 } from 'uuid';
import {
  archived,
  erased,
  erasure,
  given,
  index,
  newCustomer,
  registered,
  sensitive,
  token,
} from './customer-decider.fixtures';
import type { UpdateCustomer } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import { CustomerErrorCode } from './customer.exception';

const update = (customerId: string, expectedVersion: number, changes: Omit<UpdateCustomer['data'], 'customerId' | 'expectedVersion'>): UpdateCustomer => ({
  type: 'UpdateCustomer',
  data: { customerId, expectedVersion, ...changes },
});

describe('Customer', () => {
  describe('RegisterCustomer', () => {
    it('records CustomerRegistered (v3) with name and company as ciphertexts only', () => {
      const customer = newCustomer({ sensitive: { ...sensitive(), name: { ciphertext: token(8) } } });
      given([]).when({ type: 'RegisterCustomer', data: customer }).then([registered(customer)]);
    });

    it('shares no object with the command', () => {
      const command = { type: 'RegisterCustomer' as const, data: newCustomer({ sensitive: { ...sensitive(), name: { ciphertext: token(8) } } }) };
      const [event] = decide(command, initialCustomerState);
      expect(event.data).toEqual(command.data);
      expect(event.data).not.toBe(command.data);
      if (event.type !== 'CustomerRegistered') throw new Error(event.type);
      expect(event.data.sensitive.name).not.toBe(command.data.sensitive.name);
      expect(event.data.tags).not.toBe(command.data.tags);
    });

    it('refuses a customer that exists or existed (CUSTOMER_ALREADY_REGISTERED, 409)', () => {
      const customer = newCustomer();
      given([registered(customer)]).when({ type: 'RegisterCustomer', data: customer }).thenThrows(CustomerErrorCode.AlreadyRegistered, 409);
      given([registered(customer), erased(erasure(customer.customerId))])
        .when({ type: 'RegisterCustomer', data: customer })
        .thenThrows(CustomerErrorCode.AlreadyRegistered, 409);
    });
  });

  describe('UpdateCustomer', () => {
    describe('when the If-Match version is the current one', () => {
      it('records only the plain fields that differ, and the sensitive ones given', () => {
        const customer = newCustomer();
        const mobile = { ciphertext: token(5), index: index(5) };
        given([registered(customer)])
          .when(update(customer.customerId, 1, { tags: ['navy', 'cobol'], classification: 'internal', teamId: 'team-2', sensitive: { mobile } }))
          .then([{ type: 'CustomerUpdated', data: { customerId: customer.customerId, classification: 'internal', sensitive: { mobile } } }]);
      });

      it('records a cleared sensitive field as null, and ignores clearing one the customer does not have', () => {
        const customer = newCustomer({ sensitive: { name: { ciphertext: token(8) }, email: sensitive().email } });
        given([registered(customer)])
          .when(update(customer.customerId, 1, { sensitive: { email: null, mobile: null } }))
          .then([{ type: 'CustomerUpdated', data: { customerId: customer.customerId, sensitive: { email: null } } }]);
      });

      it('records nothing when nothing changes', () => {
        const customer = newCustomer();
        given([registered(customer)])
          .when(update(customer.customerId, 1, { tags: [...customer.tags], ownerId: customer.ownerId, sensitive: {} }))
          .then([]);
      });

      it('counts every event of the stream in the version (a note moves it too)', () => {
        const customer = newCustomer();
        const note = { type: 'CustomerNoteAdded' as const, data: { customerId: customer.customerId, noteId: uuidv7(), body: { ciphertext: token(6) } } };
        given([registered(customer), note])
          .when(update(customer.customerId, 2, { ownerId: 'user-8' }))
          .then([{ type: 'CustomerUpdated', data: { customerId: customer.customerId, ownerId: 'user-8' } }]);
      });
    });

    it('refuses a stale If-Match with STREAM_VERSION_CONFLICT (409), naming both versions', () => {
      const customer = newCustomer();
      const state = evolve(initialCustomerState, registered(customer));
      let thrown: unknown;
      try {
        decide(update(customer.customerId, 0, { tags: ['x'] }), state);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StreamVersionConflict);
      expect(thrown).toMatchObject({ code: 'STREAM_VERSION_CONFLICT', status: 409, expectedVersion: 0, actualVersion: 1 });
    });

    it('refuses an archived customer (CUSTOMER_ARCHIVED, 409), an erased one (410) and a missing one (404)', () => {
      const customer = newCustomer();
      given([registered(customer), archived(customer.customerId)])
        .when(update(customer.customerId, 2, { tags: ['x'] }))
        .thenThrows(CustomerErrorCode.Archived, 409);
      given([registered(customer), erased(erasure(customer.customerId))])
        .when(update(customer.customerId, 2, { tags: ['x'] }))
        .thenThrows(CustomerErrorCode.Erased, 410);
      given([]).when(update(customer.customerId, 0, { tags: ['x'] })).thenThrows(CustomerErrorCode.NotFound, 404);
    });
  });

  describe('ArchiveCustomer', () => {
    it('records CustomerArchived with the reason', () => {
      const customer = newCustomer();
      const data = { customerId: customer.customerId, reason: 'no longer a client' };
      given([registered(customer)]).when({ type: 'ArchiveCustomer', data }).then([{ type: 'CustomerArchived', data }]);
    });

    it('refuses a customer already archived (409) or erased (410)', () => {
      const customer = newCustomer();
      const data = { customerId: customer.customerId, reason: null };
      given([registered(customer), archived(customer.customerId)]).when({ type: 'ArchiveCustomer', data }).thenThrows(CustomerErrorCode.Archived, 409);
      given([registered(customer), erased(erasure(customer.customerId))]).when({ type: 'ArchiveCustomer', data }).thenThrows(CustomerErrorCode.Erased, 410);
    });
  });

  describe('EraseCustomer', () => {
    it('records CustomerErased for an active or archived customer, with no data of the customer', () => {
      const customer = newCustomer({ sensitive: { ...sensitive(), name: { ciphertext: token(8) } } });
      const data = erasure(customer.customerId, { legalBasis: 'retention-expired' });
      given([registered(customer)]).when({ type: 'EraseCustomer', data }).then([erased(data)]);
      given([registered(customer), archived(customer.customerId)]).when({ type: 'EraseCustomer', data }).then([erased(data)]);
      const dump = JSON.stringify(decide({ type: 'EraseCustomer', data }, evolve(initialCustomerState, registered(customer))));
      for (const secret of [token(1), index(1), token(8)]) expect(dump).not.toContain(secret);
    });

    it('refuses an erased customer (410) and a missing one (404)', () => {
      const customer = newCustomer();
      given([registered(customer), erased(erasure(customer.customerId))])
        .when({ type: 'EraseCustomer', data: erasure(customer.customerId) })
        .thenThrows(CustomerErrorCode.Erased, 410);
      given([]).when({ type: 'EraseCustomer', data: erasure(uuidv7()) }).thenThrows(CustomerErrorCode.NotFound, 404);
    });
  });

  describe('evolve', () => {
    it('starts unregistered at version 0', () => {
      expect(initialCustomerState).toEqual({ status: 'unregistered', version: 0 });
    });

    it('makes a registered customer active at version 1 with its ciphertexts, never clear values', () => {
      const customer = newCustomer({ sensitive: { ...sensitive(), name: { ciphertext: token(8) } } });
      expect(evolve(initialCustomerState, registered(customer))).toEqual({
        status: 'active',
        id: customer.customerId,
        version: 1,
        tags: customer.tags,
        classification: 'confidential',
        ownerId: 'user-7',
        teamId: 'team-2',
        sensitive: customer.sensitive,
        consents: {},
        sharedWith: [],
      });
    });

    it('keeps the clear name and company of a registration written before v3 apart (v1 and v2 upcast)', () => {
      const v1 = { customerId: uuidv7(), name: 'Grace Hopper', company: 'Eckert-Mauchly', tags: [], classification: 'public', ownerId: null, teamId: null };
      const upcast = upcastCustomerRegisteredV2(upcastCustomerRegisteredV1(v1)) as CustomerRegisteredData;
      expect(evolve(initialCustomerState, { type: 'CustomerRegistered', data: upcast })).toMatchObject({
        status: 'active',
        legacyName: 'Grace Hopper',
        legacyCompany: 'Eckert-Mauchly',
        sensitive: {},
      });
    });

    it('applies an update: new ciphertexts replace, null removes, a new name drops the legacy clear one', () => {
      const customerId = uuidv7();
      const legacy = { customerId, name: 'Old Name', company: null, tags: [], classification: 'public' as const, ownerId: null, teamId: null, sensitive: sensitive() };
      const state = [
        { type: 'CustomerRegistered' as const, data: legacy },
        { type: 'CustomerUpdated' as const, data: { customerId, teamId: 'team-9', sensitive: { name: { ciphertext: token(7) }, mobile: null } } },
      ].reduce<CustomerState>(evolve, initialCustomerState);
      expect(state).toMatchObject({ version: 2, teamId: 'team-9', sensitive: { name: { ciphertext: token(7) }, email: sensitive().email } });
      expect(state).not.toHaveProperty('legacyName');
      expect(state).not.toHaveProperty('sensitive.mobile');
    });

    it('archives, changes owners and erases, keeping only the id and version of an erased customer', () => {
      const customer = newCustomer();
      const owner = { type: 'CustomerOwnerChanged' as const, data: { customerId: customer.customerId, fromOwnerId: 'user-7', toOwnerId: 'user-8', transferId: null, reason: 'r' } };
      const afterOwner = [registered(customer), archived(customer.customerId), owner].reduce<CustomerState>(evolve, initialCustomerState);
      expect(afterOwner).toMatchObject({ status: 'archived', ownerId: 'user-8', version: 3 });
      expect(evolve(afterOwner, erased(erasure(customer.customerId)))).toEqual({ status: 'erased', id: customer.customerId, version: 4 });
    });

    it('leaves the state it was given untouched', () => {
      const customer = newCustomer();
      const before = evolve(initialCustomerState, registered(customer));
      const copy = structuredClone(before);
      evolve(before, { type: 'CustomerUpdated', data: { customerId: customer.customerId, tags: ['x'], sensitive: { mobile: null } } });
      expect(before).toEqual(copy);
    });
  });
});
