import { randomBytes } from 'node:crypto';
import { FieldCipher, rewrapAll, StaticKeyProvider, type WrappedKey } from '@warden/crypto';
import { quoteSchema } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from './postgres-data-key-store';

const wrapped = (kekVersion = 1): WrappedKey => ({
  kekVersion,
  ciphertext: randomBytes(60).toString('base64url'),
});
const keyring = (...versions: number[]) =>
  versions.map((v) => `${v}:${randomBytes(32).toString('base64')}`).join(',');

describe('PostgresDataKeyStore', () => {
  const schema = uniqueName('t_data_keys');
  let dataSource: DataSource;
  let store: PostgresDataKeyStore;

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema('data_keys', dataKeyStoreMigrations(schema), schema));
    store = new PostgresDataKeyStore(dataSource, schema);
  });

  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE ${quoteSchema(schema)}.customer_data_keys`);
  });

  describe('put', () => {
    it('inserts only when the subject has no key (expected null)', async () => {
      const subject = uuidv7();
      const first = wrapped();
      expect(await store.put(subject, first, null)).toBe(true);
      expect(await store.put(subject, wrapped(), null)).toBe(false);
      expect(await store.get(subject)).toEqual(first);
    });

    it('replaces a key only while it still equals the expected one (compare-and-set)', async () => {
      const subject = uuidv7();
      const first = wrapped(1);
      await store.put(subject, first, null);
      const second = wrapped(2);
      expect(await store.put(subject, second, wrapped(1))).toBe(false);
      expect(await store.put(subject, second, { ...first, kekVersion: 2 })).toBe(false);
      expect(await store.put(subject, second, first)).toBe(true);
      expect(await store.get(subject)).toEqual(second);
      expect(await store.put(subject, wrapped(3), first)).toBe(false);
    });

    it('does not resurrect a shredded key', async () => {
      const subject = uuidv7();
      const first = wrapped();
      await store.put(subject, first, null);
      await store.delete(subject);
      expect(await store.put(subject, wrapped(2), first)).toBe(false);
      expect(await store.get(subject)).toBeNull();
    });

    it('lets exactly one of many concurrent first writers win', async () => {
      const subject = uuidv7();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.put(subject, wrapped(), null)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('delete', () => {
    it('removes the key, and deleting an absent key is not an error', async () => {
      const subject = uuidv7();
      await store.put(subject, wrapped(), null);
      await store.delete(subject);
      expect(await store.get(subject)).toBeNull();
      await expect(store.delete(subject)).resolves.toBeUndefined();
    });
  });

  describe('list and count', () => {
    it('pages through every key in subject order', async () => {
      const subjects = Array.from({ length: 7 }, () => uuidv7());
      for (const subject of subjects) await store.put(subject, wrapped(), null);
      expect(await store.count()).toBe(7);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await store.list(after, 3);
        seen.push(...page.map((k) => k.subjectId));
        if (page.length < 3) break;
        after = page[page.length - 1].subjectId;
      }
      expect(seen).toEqual([...subjects].sort());
    });
  });

  describe('with FieldCipher and rewrapAll', () => {
    it('encrypts, rotates to a new KEK and decrypts with the new KEK alone', async () => {
      const v1 = keyring(1);
      const v2 = keyring(2);
      const subject = uuidv7();
      const token = await new FieldCipher(StaticKeyProvider.fromKeyring(v1), store).encrypt(
        subject,
        'mobile',
        '13912345678',
      );
      const result = await rewrapAll(StaticKeyProvider.fromKeyring(`${v1},${v2}`), store, { batchSize: 2 });
      expect(result).toMatchObject({ rewrapped: 1, remaining: 0 });
      expect((await store.get(subject))?.kekVersion).toBe(2);
      const onlyV2 = new FieldCipher(StaticKeyProvider.fromKeyring(v2), store);
      expect(await onlyV2.decrypt(subject, 'mobile', token)).toBe('13912345678');
    });
  });
});
