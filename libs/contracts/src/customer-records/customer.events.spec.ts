import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { eventRegistry } from '../index';
import { systemActor } from '../lib/envelope';
import { GENESIS_HASH, hashEvent } from '../lib/hash-chain';
import { ContractViolation } from '../lib/registry';
import { customerErasedV1, customerRegisteredV2, upcastCustomerRegisteredV1 } from './customer.events';

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
  describe('schema version 2', () => {
    it('is the latest version', () => {
      expect(eventRegistry.latestVersion('CustomerRegistered')).toBe(2);
    });

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
      expect(eventRegistry.validateData('CustomerRegistered', data)).toEqual(data);
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
      expect((error as ContractViolation).issues).toEqual([
        expect.stringMatching(/^sensitive\.email\.index: /),
      ]);
    });
  });

  describe('upcasting version 1', () => {
    it('adds empty sensitive fields and keeps the rest', () => {
      const data = v1Data();
      expect(upcastCustomerRegisteredV1(data)).toEqual({ ...data, sensitive: {} });
      expect(customerRegisteredV2.safeParse(upcastCustomerRegisteredV1(data)).success).toBe(true);
    });

    it('decodes a stored or published v1 event as version 2', () => {
      const data = v1Data();
      const decoded = eventRegistry.decode(envelope(1, data));
      expect(decoded.schemaVersion).toBe(2);
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
