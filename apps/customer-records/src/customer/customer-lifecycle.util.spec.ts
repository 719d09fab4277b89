import { randomBytes } from 'node:crypto';
import { customerRegisteredV3, customerUpdatedV1 } from '@warden/contracts';
import { BlindIndexer, DecryptionError, FieldCipher, StaticKeyProvider, type DataKeyStore, type WrappedKey } from '@warden/crypto';
import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME } from '@warden/security';
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { noteField } from '../notes/customer-notes.service';
import { ENCRYPTED_FIELDS, noteLevel, protectChanges, protectNames, type EncryptedValues } from './customer-lifecycle.util';

/** A data key store in a Map: enough for round trips (the Postgres one has its own tests). */
class MapKeyStore implements DataKeyStore {
  private readonly keys = new Map<string, WrappedKey>();
  async get(subjectId: string) {
    return this.keys.get(subjectId) ?? null;
  }
  async put(subjectId: string, wrapped: WrappedKey, expected: WrappedKey | null) {
    if (expected === null && this.keys.has(subjectId)) return false;
    this.keys.set(subjectId, wrapped);
    return true;
  }
  async delete(subjectId: string) {
    this.keys.delete(subjectId);
  }
  async list() {
    return [];
  }
}

const cipher = new FieldCipher(StaticKeyProvider.fromKeyring(`1:${randomBytes(32).toString('base64')}`), new MapKeyStore());
const indexer = BlindIndexer.fromBase64(randomBytes(32).toString('base64'));

const text = fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' });
const phone = fc.stringMatching(/^\+?[0-9]{5,15}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{2,10}$/)).map(([user, host]) => `${user}@${host}.example`);
const nationalId = fc.stringMatching(/^[0-9]{6,17}[0-9X]$/);
const values = fc.record(
  {
    name: text,
    company: fc.option(text, { nil: null }),
    mobile: fc.option(phone, { nil: null }),
    email: fc.option(email, { nil: null }),
    nationalId: fc.option(nationalId, { nil: null }),
    address: fc.option(text, { nil: null }),
  },
  { requiredKeys: [] },
);

describe('customer field encryption (properties)', () => {
  it('name and company: ciphertexts only, each decrypts to its value under its own field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, fc.string({ minLength: 8, maxLength: 60 })), fc.option(text, { nil: null }), async (name, company) => {
        const customerId = uuidv7();
        const names = await protectNames(customerId, { name, company }, cipher);
        // A short value may occur in base64 by chance; a longer one must not be there.
        if (name.length >= 8) expect(JSON.stringify(names)).not.toContain(JSON.stringify(name).slice(1, -1));
        expect(await cipher.decrypt(customerId, 'name', names.name.ciphertext)).toBe(name);
        if (company === null) expect(names.company).toBeUndefined();
        else expect(await cipher.decrypt(customerId, 'company', names.company?.ciphertext ?? '')).toBe(company);
        const event = customerRegisteredV3.safeParse({ customerId, tags: [], classification: 'public', ownerId: null, teamId: null, sensitive: names });
        expect(event.success).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('an update carries exactly the changed fields: each decrypts to the new value, a cleared one is null, indexes match', async () => {
    await fc.assert(
      fc.asyncProperty(values, values, async (current, next) => {
        const customerId = uuidv7();
        const changes = await protectChanges(customerId, next, current, cipher, indexer);
        for (const field of ENCRYPTED_FIELDS) {
          const wanted = next[field];
          const changed = wanted !== undefined && wanted !== (current[field] ?? null);
          const value = changes[field];
          if (!changed) {
            expect(value).toBeUndefined();
            continue;
          }
          if (wanted === null) {
            expect(value).toBeNull();
            continue;
          }
          expect(await cipher.decrypt(customerId, field, value?.ciphertext ?? '')).toBe(wanted);
          if (field === 'mobile' || field === 'email' || field === 'nationalId') {
            const kind = field === 'mobile' ? 'phone' : field;
            expect(value).toMatchObject({ index: indexer.index(kind, wanted) });
          }
        }
        if (Object.keys(changes).length) {
          expect(customerUpdatedV1.safeParse({ customerId, sensitive: changes }).success).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a ciphertext does not decrypt as another field or another customer', async () => {
    const customerId = uuidv7();
    const values: EncryptedValues = { address: '上海市浦东新区世纪大道100号' };
    const { address } = await protectChanges(customerId, values, {}, cipher, indexer);
    await expect(cipher.decrypt(customerId, 'name', address?.ciphertext ?? '')).rejects.toBeInstanceOf(DecryptionError);
  });

  it('a note body decrypts only as the note it was written for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 500 }), async (body) => {
        const customerId = uuidv7();
        const noteId = uuidv7();
        const token = await cipher.encrypt(customerId, noteField(noteId), body);
        expect(await cipher.decrypt(customerId, noteField(noteId), token)).toBe(body);
        await expect(cipher.decrypt(customerId, noteField(uuidv7()), token)).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 40 },
    );
  });
});

describe('noteLevel', () => {
  const policyOf = (roles: string[], teamIds: string[] = ['team-1']) =>
    createPolicy(
      compileAbility({
        user: { userId: 'u-1', roles, teamIds, clearance: 'restricted', status: 'active' },
        roles: DEFAULT_ROLES_BY_NAME,
        grants: [],
        now: new Date(),
        policyVersion: 0,
      }),
    );
  const own = { ownerId: 'u-1', teamId: 'team-1', classification: 'internal', sharedWith: [] };
  const teams = { ...own, ownerId: 'u-2' };

  it('is clear for staff on their own customers, masked for supervisors, none for auditors and security officers', () => {
    expect(noteLevel(policyOf(['staff']), own)).toBe('clear');
    expect(noteLevel(policyOf(['supervisor']), teams)).toBe('masked');
    expect(noteLevel(policyOf(['auditor']), teams)).toBe('none');
    expect(noteLevel(policyOf(['security_officer']), teams)).toBe('none');
    expect(noteLevel(policyOf(['staff']), teams)).toBe('none');
  });
});
