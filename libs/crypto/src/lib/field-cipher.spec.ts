import { InMemoryDataKeyStore } from '../test/in-memory-data-key-store';
import { keyring } from '../test/keys';
import { CryptoUsageError, DecryptionError, SubjectShreddedError } from './crypto.errors';
import { FieldCipher } from './field-cipher';
import { StaticKeyProvider } from './static-key-provider';

function setup(options: ConstructorParameters<typeof FieldCipher>[2] = {}) {
  const provider = StaticKeyProvider.fromKeyring(keyring(1).text);
  const store = new InMemoryDataKeyStore();
  return { provider, store, cipher: new FieldCipher(provider, store, options) };
}

describe('FieldCipher', () => {
  it('round-trips fields and stores one wrapped data key per subject', async () => {
    const { store, cipher } = setup();
    const mobile = await cipher.encrypt('cust-1', 'mobile', '13800138000');
    const email = await cipher.encrypt('cust-1', 'email', 'ada@example.com');
    await cipher.encrypt('cust-2', 'mobile', '13900139000');
    expect(await cipher.decrypt('cust-1', 'mobile', mobile)).toBe('13800138000');
    expect(await cipher.decrypt('cust-1', 'email', email)).toBe('ada@example.com');
    expect([...store.keys.keys()].sort()).toEqual(['cust-1', 'cust-2']);
    expect(store.keys.get('cust-1')?.kekVersion).toBe(1);
  });

  it('decrypts in another process that shares only the store and the keyring', async () => {
    const { provider, store, cipher } = setup();
    const token = await cipher.encrypt('cust-1', 'address', '北京市朝阳区');
    expect(await new FieldCipher(provider, store).decrypt('cust-1', 'address', token)).toBe('北京市朝阳区');
  });

  it('refuses a token moved to another subject or field', async () => {
    const { cipher } = setup();
    const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
    await cipher.encrypt('cust-2', 'mobile', '13900139000');
    await expect(cipher.decrypt('cust-2', 'mobile', token)).rejects.toThrow(DecryptionError);
    await expect(cipher.decrypt('cust-1', 'email', token)).rejects.toThrow(DecryptionError);
  });

  it('does not create a key for a context it would reject', async () => {
    const { store, cipher } = setup();
    await expect(cipher.encrypt('cust|1', 'mobile', 'x')).rejects.toThrow(CryptoUsageError);
    expect(store.keys.size).toBe(0);
  });

  it('serves repeated reads from the cache instead of the store', async () => {
    const { store, cipher } = setup();
    const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
    const reads = store.calls.get;
    await cipher.decrypt('cust-1', 'mobile', token);
    await cipher.decrypt('cust-1', 'mobile', token);
    expect(store.calls.get).toBe(reads);
  });

  it('evicts the least recently used subject when the cache is full, and reloads it from the store', async () => {
    const { store, cipher } = setup({ cache: { maxEntries: 1 } });
    const first = await cipher.encrypt('cust-1', 'mobile', '13800138000');
    await cipher.encrypt('cust-2', 'mobile', '13900139000');
    const reads = store.calls.get;
    expect(await cipher.decrypt('cust-1', 'mobile', first)).toBe('13800138000');
    expect(store.calls.get).toBe(reads + 1);
  });

  it('keeps one key per subject when two first writes race', async () => {
    const { store, cipher } = setup();
    const [a, b] = await Promise.all([
      cipher.encrypt('cust-1', 'mobile', '13800138000'),
      cipher.encrypt('cust-1', 'email', 'ada@example.com'),
    ]);
    expect(store.calls.put).toBe(2); // both tried to create a key; one lost and adopted the other's
    expect(store.keys.size).toBe(1);
    expect(await cipher.decrypt('cust-1', 'mobile', a)).toBe('13800138000');
    expect(await cipher.decrypt('cust-1', 'email', b)).toBe('ada@example.com');
  });

  describe('createDataKeys (new subjects)', () => {
    it('stores the keys with one write, without looking for any, and the encrypts that follow use them from the cache', async () => {
      const { provider, store, cipher } = setup();
      await cipher.createDataKeys(['cust-a', 'cust-b', 'cust-c']);
      const token = await cipher.encrypt('cust-b', 'mobile', '13800138000');
      await cipher.encrypt('cust-c', 'email', 'ada@example.com');
      expect(store.calls).toMatchObject({ get: 0, put: 0, putNewMany: 1 });
      expect(store.keys.size).toBe(3);
      expect(await new FieldCipher(provider, store).decrypt('cust-b', 'mobile', token)).toBe('13800138000');
    });

    it('keeps and uses a key that exists already', async () => {
      const { provider, store, cipher } = setup();
      const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      const other = new FieldCipher(provider, store);
      await other.createDataKeys(['cust-1', 'cust-2']);
      expect(store.keys.size).toBe(2);
      expect(await other.decrypt('cust-1', 'mobile', token)).toBe('13800138000');
    });

    it('stores one key at a time with a store that has no putNewMany', async () => {
      const { provider, store } = setup();
      const plain = Object.assign(Object.create(Object.getPrototypeOf(store)), store, { putNewMany: undefined });
      const cipher = new FieldCipher(provider, plain);
      await cipher.createDataKeys(['cust-a', 'cust-b']);
      expect(store.calls).toMatchObject({ put: 2, putNewMany: 0 });
      expect(store.keys.size).toBe(2);
    });

    it('refuses a subject id it could not encrypt for, before storing any key', async () => {
      const { store, cipher } = setup();
      await expect(cipher.createDataKeys(['cust-ok', 'cust|1'])).rejects.toThrow(CryptoUsageError);
      expect(store.keys.size).toBe(0);
    });
  });

  describe('keysFor (the keys of a page of subjects)', () => {
    it('loads the missing keys with one getMany, decrypts every subject, and leaves out subjects without a key', async () => {
      const { store, cipher } = setup({ cache: { maxEntries: 0 } });
      const tokens = new Map<string, string>();
      for (const id of ['cust-1', 'cust-2', 'cust-3']) tokens.set(id, await cipher.encrypt(id, 'mobile', `mobile of ${id}`));
      const gets = store.calls.get;
      const keys = await cipher.keysFor(['cust-1', 'cust-2', 'cust-3', 'cust-2', 'cust-404']);
      expect(store.calls.getMany).toBe(1);
      expect(store.calls.get).toBe(gets);
      expect(keys.size).toBe(3);
      for (const [id, token] of tokens) expect(keys.decrypt(id, 'mobile', token)).toBe(`mobile of ${id}`);
      expect(keys.has('cust-404')).toBe(false);
      expect(() => keys.decrypt('cust-404', 'mobile', tokens.get('cust-1') as string)).toThrow(SubjectShreddedError);
      // Field and subject stay bound: another subject's or field's token does not decrypt.
      expect(() => keys.decrypt('cust-2', 'mobile', tokens.get('cust-1') as string)).toThrow(DecryptionError);
      expect(() => keys.decrypt('cust-1', 'email', tokens.get('cust-1') as string)).toThrow(DecryptionError);
      keys.release();
      expect(keys.size).toBe(0);
    });

    it('takes cached keys from the cache, and caches loaded ones only with remember', async () => {
      const { provider, store, cipher } = setup();
      const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      const other = await new FieldCipher(provider, store).encrypt('cust-2', 'mobile', '13900139000');
      // cust-1 is cached since its encrypt; cust-2 is not.
      const first = await cipher.keysFor(['cust-1', 'cust-2']);
      expect(store.calls.getMany).toBe(1);
      expect(first.decrypt('cust-1', 'mobile', token)).toBe('13800138000');
      expect(first.decrypt('cust-2', 'mobile', other)).toBe('13900139000');
      await cipher.keysFor(['cust-2']);
      expect(store.calls.getMany).toBe(2); // not remembered
      await cipher.keysFor(['cust-2'], { remember: true });
      await cipher.keysFor(['cust-1', 'cust-2']);
      expect(store.calls.getMany).toBe(3); // the last call was served from the cache
    });

    it('falls back to one get per subject when the store has no getMany', async () => {
      const { provider, store } = setup();
      const plain = { get: store.get.bind(store), put: store.put.bind(store), delete: store.delete.bind(store), list: store.list.bind(store) };
      const cipher = new FieldCipher(provider, plain, { cache: { maxEntries: 0 } });
      const a = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      const gets = store.calls.get;
      const keys = await cipher.keysFor(['cust-1', 'cust-2']);
      expect(store.calls.get).toBe(gets + 2);
      expect(keys.decrypt('cust-1', 'mobile', a)).toBe('13800138000');
      expect(keys.has('cust-2')).toBe(false);
    });

    it('does not cache a key loaded while the subject was shredded', async () => {
      const { store, cipher } = setup();
      const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      cipher.clearCache();
      const loading = cipher.keysFor(['cust-1'], { remember: true });
      await cipher.shred('cust-1');
      await loading;
      await expect(cipher.decrypt('cust-1', 'mobile', token)).rejects.toThrow(SubjectShreddedError);
      expect(store.keys.size).toBe(0);
    });
  });

  describe('when a subject is shredded', () => {
    it('refuses to decrypt with SubjectShreddedError (SUBJECT_ERASED, 410)', async () => {
      const { store, cipher } = setup();
      const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      await cipher.shred('cust-1');
      expect(store.keys.has('cust-1')).toBe(false);
      const error = await cipher.decrypt('cust-1', 'mobile', token).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SubjectShreddedError);
      expect(error).toMatchObject({ code: 'SUBJECT_ERASED', status: 410 });
    });

    it('creates a new key on the next encrypt, and the old tokens stay unreadable', async () => {
      const { store, cipher } = setup();
      const old = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      const oldWrapped = store.keys.get('cust-1');
      await cipher.shred('cust-1');
      const fresh = await cipher.encrypt('cust-1', 'mobile', '13900139000');
      expect(store.keys.get('cust-1')).not.toEqual(oldWrapped);
      expect(await cipher.decrypt('cust-1', 'mobile', fresh)).toBe('13900139000');
      await expect(cipher.decrypt('cust-1', 'mobile', old)).rejects.toThrow(DecryptionError);
    });

    it('does not re-cache a key that a concurrent read loaded while the shred ran', async () => {
      const { store, cipher } = setup();
      const token = await cipher.encrypt('cust-1', 'mobile', '13800138000');
      cipher.clearCache();
      const read = cipher.decrypt('cust-1', 'mobile', token); // loads from the store
      await cipher.shred('cust-1');
      await read.catch(() => undefined);
      await expect(cipher.decrypt('cust-1', 'mobile', token)).rejects.toThrow(SubjectShreddedError);
      expect(store.keys.size).toBe(0);
    });

    it('treats a subject that never had a key as erased', async () => {
      const { cipher } = setup();
      await expect(
        cipher.decrypt('cust-404', 'mobile', 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'),
      ).rejects.toThrow(SubjectShreddedError);
    });
  });
});
