import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { eventRegistry } from '../index';
import { systemActor } from '../lib/envelope';
import { GENESIS_HASH, hashEvent } from '../lib/hash-chain';
import { ContractViolation } from '../lib/registry';
import {
  customerErasedV1,
  customerRegisteredV2,
  customerRegisteredV3,
  customerTransactionRecordedV1,
  customerUpdatedV1,
  customersTransferRequestedV1,
  upcastCustomerRegisteredV1,
} from './customer.events';

const v1Data = () => ({
  customerId: uuidv4(),
  name: 'Ada Lovelace',
  company: null,
  tags: ['vip'],
  classification: 'confidential',
  ownerId: 'user-1',
  teamId: null,
});

const token = 'v1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const index = 'ab'.repeat(32);

function envelope(schemaVersion: number, data: Record<string, unknown>) {
  const unsealed = {
    eventId: uuidv7(),
    type: 'CustomerRegistered',
    schemaVersion,
    streamId: `customer-${uuidv7()}`,
    streamVersion: 1,
    occurredAt: '2025-03-04T05:06:07.000Z',
    actor: systemActor('customer-events-spec'),
    correlationId: uuidv7(),
    causationId: null,
    data,
  };
  return { ...unsealed, globalPosition: 1, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, unsealed) };
}

describe('CustomerRegistered', () => {
  describe('schema version 3', () => {
    const v3Data = () => {
      const { name: _name, company: _company, ...rest } = v1Data();
      return { ...rest, sensitive: { name: { ciphertext: token }, company: { ciphertext: token } } };
    };

    it('is the latest version', () => {
      expect(eventRegistry.latestVersion('CustomerRegistered')).toBe(3);
    });

    it('carries name and company as ciphertexts, beside the sensitive fields', () => {
      const data = v3Data();
      data.sensitive = { ...data.sensitive, ...{ mobile: { ciphertext: token, index }, address: { ciphertext: token } } };
      expect(eventRegistry.validateData('CustomerRegistered', data)).toEqual(data);
    });

    it('refuses a name or company in clear, at the top level or as a ciphertext, naming the field', () => {
      const clearTop = customerRegisteredV3.safeParse({ ...v3Data(), name: 'Ada Lovelace' });
      expect(clearTop.success).toBe(false);
      const clearInside = customerRegisteredV3.safeParse({ ...v3Data(), sensitive: { name: { ciphertext: 'Ada Lovelace' } } });
      expect(clearInside.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['sensitive.name.ciphertext']);
      const { sensitive: _s, ...withoutName } = v3Data();
      expect(customerRegisteredV3.safeParse({ ...withoutName, sensitive: {} }).success).toBe(false);
    });

    it('decodes a stored v2 event with its clear name and company kept at the top level (legacy, documented)', () => {
      const data = { ...v1Data(), company: 'Analytical Engines', sensitive: { email: { ciphertext: token, index } } };
      const decoded = eventRegistry.decode(envelope(2, data));
      expect(decoded.schemaVersion).toBe(3);
      expect(decoded.data).toEqual(data);
    });
  });

  describe('schema version 2', () => {
    it('carries ciphertexts and blind indexes of the sensitive fields', () => {
      const data = {
        ...v1Data(),
        sensitive: {
          mobile: { ciphertext: token, index },
          email: { ciphertext: token, index },
          nationalId: { ciphertext: token, index },
          address: { ciphertext: token },
        },
      };
      expect(customerRegisteredV2.parse(data)).toEqual(data);
    });

    it('refuses a clear value where a ciphertext belongs, naming the field', () => {
      const data = { ...v1Data(), sensitive: { mobile: { ciphertext: '+86 139-1234-5678', index } } };
      const result = customerRegisteredV2.safeParse(data);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
        'sensitive.mobile.ciphertext',
      ]);
    });

    it('refuses a sensitive field it does not know and an index on the address', () => {
      const unknownField = customerRegisteredV2.safeParse({
        ...v1Data(),
        sensitive: { phone: { ciphertext: token, index } },
      });
      expect(unknownField.success).toBe(false);
      const addressIndex = customerRegisteredV2.safeParse({
        ...v1Data(),
        sensitive: { address: { ciphertext: token, index } },
      });
      expect(addressIndex.success).toBe(false);
    });

    it('refuses an index that is not 64 hex characters', () => {
      const error = (() => {
        try {
          eventRegistry.validateData('CustomerRegistered', {
            ...v1Data(),
            sensitive: { email: { ciphertext: token, index: 'x' } },
          });
        } catch (thrown) {
          return thrown;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ContractViolation);
      expect((error as ContractViolation).issues).toContainEqual(expect.stringMatching(/^sensitive\.email\.index: /));
    });
  });

  describe('upcasting version 1', () => {
    it('adds empty sensitive fields and keeps the rest', () => {
      const data = v1Data();
      expect(upcastCustomerRegisteredV1(data)).toEqual({ ...data, sensitive: {} });
      expect(customerRegisteredV2.safeParse(upcastCustomerRegisteredV1(data)).success).toBe(true);
    });

    it('decodes a stored or published v1 event as version 3', () => {
      const data = v1Data();
      const decoded = eventRegistry.decode(envelope(1, data));
      expect(decoded.schemaVersion).toBe(3);
      expect(decoded.data).toEqual({ ...data, sensitive: {} });
    });

    it('still refuses a v1 event carrying sensitive fields (v1 had none)', () => {
      expect(() => eventRegistry.decode(envelope(1, { ...v1Data(), sensitive: {} }))).toThrow(
        ContractViolation,
      );
    });
  });
});

describe('CustomerErased', () => {
  const data = () => ({ customerId: uuidv7(), legalBasis: 'subject-request', reason: 'ticket DSR-42' });

  it('is registered at schema version 1', () => {
    expect(eventRegistry.latestVersion('CustomerErased')).toBe(1);
    const erased = data();
    expect(eventRegistry.validateData('CustomerErased', erased)).toEqual(erased);
  });

  it('accepts each legal basis and refuses any other, naming the field', () => {
    for (const legalBasis of ['subject-request', 'retention-expired', 'legal-obligation']) {
      expect(customerErasedV1.safeParse({ ...data(), legalBasis }).success).toBe(true);
    }
    const result = customerErasedV1.safeParse({ ...data(), legalBasis: 'because' });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['legalBasis']);
  });

  it('refuses an empty reason, one over 500 characters and a field it does not know', () => {
    expect(customerErasedV1.safeParse({ ...data(), reason: '' }).success).toBe(false);
    expect(customerErasedV1.safeParse({ ...data(), reason: 'x'.repeat(501) }).success).toBe(false);
    expect(customerErasedV1.safeParse({ ...data(), reason: 'x'.repeat(500) }).success).toBe(true);
    expect(customerErasedV1.safeParse({ ...data(), name: 'Ada' }).success).toBe(false);
  });
});

describe('CustomerUpdated', () => {
  it('carries only changed fields, sensitive ones as ciphertexts or null when cleared', () => {
    const data = { customerId: uuidv7(), tags: ['a'], sensitive: { name: { ciphertext: token }, mobile: { ciphertext: token, index }, address: null } };
    expect(eventRegistry.validateData('CustomerUpdated', data)).toEqual(data);
  });

  it('refuses an update that changes nothing, a clear value and an unknown field', () => {
    expect(customerUpdatedV1.safeParse({ customerId: uuidv7() }).success).toBe(false);
    expect(customerUpdatedV1.safeParse({ customerId: uuidv7(), sensitive: {} }).success).toBe(false);
    expect(customerUpdatedV1.safeParse({ customerId: uuidv7(), sensitive: { email: { ciphertext: 'a@b.c', index } } }).success).toBe(false);
    expect(customerUpdatedV1.safeParse({ customerId: uuidv7(), name: 'Ada' }).success).toBe(false);
  });
});

describe('CustomerTransactionRecorded', () => {
  const data = (overrides: Record<string, unknown> = {}) => ({
    customerId: uuidv7(), transactionId: uuidv7(), amount: '1234.50', currency: 'CNY', date: '2025-06-01', product: 'Gold card', ...overrides,
  });

  it('takes a decimal string amount, a 3-letter currency and an ISO date', () => {
    for (const amount of ['0', '-12.5', '999999999999999.9999']) {
      expect(customerTransactionRecordedV1.safeParse(data({ amount })).success).toBe(true);
    }
  });

  it('refuses a number, a float in exponent form, too many decimals, a lower-case currency and a bad date', () => {
    for (const bad of [{ amount: 12.5 }, { amount: '1e5' }, { amount: '1.23456' }, { amount: '01' }, { currency: 'cny' }, { date: '2025-13-01' }]) {
      expect(customerTransactionRecordedV1.safeParse(data(bad)).success).toBe(false);
    }
  });
});

describe('the ownership transfer events', () => {
  it('are registered and refuse an empty pool', () => {
    for (const type of ['CustomersTransferRequested', 'CustomersTransferProgressed', 'CustomersTransferred', 'CustomerOwnerChanged', 'ConsentGranted', 'ConsentWithdrawn', 'CustomerNoteAdded', 'CustomerArchived']) {
      expect(eventRegistry.latestVersion(type)).toBe(1);
    }
    const request = { transferId: uuidv4(), fromUserId: 'u1', toUserId: null, toPoolUserIds: [], reason: 'offboarding' };
    expect(customersTransferRequestedV1.safeParse(request).success).toBe(false);
    expect(customersTransferRequestedV1.safeParse({ ...request, toPoolUserIds: ['u2', 'u3'] }).success).toBe(true);
  });
});
