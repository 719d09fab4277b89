import { createSecretKey, type KeyObject } from 'node:crypto';
import { SubjectShreddedError } from './crypto.errors';
import type { DataKeyStore, KeyProvider, WrappedKey } from './crypto.types';
import { DataKeyCache, type DataKeyCacheOptions } from './data-key-cache';
import { contextAad, decryptField, encryptField, generateDataKey } from './field-encryption';
import { SubjectKeys } from './subject-keys';

export type FieldCipherOptions = {
  /** Unwrapped-key cache; defaults to 1000 keys for 5 minutes. */
  cache?: DataKeyCacheOptions;
};

/**
 * Envelope encryption of a subject's sensitive fields: one data key per subject, wrapped by the
 * provider's KEK and kept in the store; fields are encrypted with `encryptField`.
 *
 * Shredding deletes the subject's data key, so every ciphertext of that subject, wherever it was
 * copied (rows, events, backups), becomes unreadable. Other processes may still hold the key in
 * their cache until its TTL expires.
 */
export class FieldCipher {
  private readonly cache: DataKeyCache;
  /** Bumped around every shred so that a load racing with it does not re-cache the key. */
  private shredEpoch = 0;

  constructor(
    private readonly provider: KeyProvider,
    private readonly store: DataKeyStore,
    options: FieldCipherOptions = {},
  ) {
    this.cache = new DataKeyCache(options.cache);
  }

  /** Encrypts one field, creating and storing the subject's data key on first use. */
  async encrypt(subjectId: string, field: string, plaintext: string): Promise<string> {
    contextAad({ subjectId, field }); // reject a bad context before creating a key for it
    return this.withDataKey(subjectId, 'create', (key) => encryptField(key, plaintext, { subjectId, field }));
  }

  /**
   * Creates the data keys of new subjects (ids just made, e.g. a group of imported customers) and
   * keeps them in the cache, so that the `encrypt` calls that follow neither look for a key nor
   * create one. It does not look for existing keys first: with the store's `putNewMany`, all of
   * them are stored with one write. A subject that has a key after all keeps it, and that key is
   * used.
   */
  async createDataKeys(subjectIds: readonly string[]): Promise<void> {
    for (const subjectId of subjectIds) contextAad({ subjectId, field: 'key' }); // reject a bad subject before creating any key
    const fresh = [...new Set(subjectIds)].filter((subjectId) => !this.cache.getKeyObject(subjectId));
    if (fresh.length === 0) return;
    const epoch = this.shredEpoch;
    const keep = (subjectId: string, key: Buffer) => {
      if (epoch === this.shredEpoch) this.cache.set(subjectId, key);
      else key.fill(0);
    };
    if (!this.store.putNewMany) {
      for (const subjectId of fresh) keep(subjectId, await this.storeNewKey(subjectId));
      return;
    }
    const created = await Promise.all(
      fresh.map(async (subjectId) => {
        const dataKey = generateDataKey();
        return { subjectId, dataKey, wrapped: await this.provider.wrap(dataKey) };
      }),
    );
    const stored = await this.store.putNewMany(created.map(({ subjectId, wrapped }) => ({ subjectId, wrapped })));
    for (const { subjectId, dataKey } of created) {
      if (stored.has(subjectId)) {
        keep(subjectId, dataKey);
        continue;
      }
      // Another writer created the subject's key first: use theirs.
      dataKey.fill(0);
      keep(subjectId, await this.loadDataKey(subjectId, 'existing'));
    }
  }

  /** Decrypts one field; throws `SubjectShreddedError` when the subject has no data key. */
  async decrypt(subjectId: string, field: string, token: string): Promise<string> {
    contextAad({ subjectId, field });
    return this.withDataKey(subjectId, 'existing', (key) => decryptField(key, token, { subjectId, field }));
  }

  /**
   * The data keys of many subjects at once, for one request or one page of rows: keys in the
   * cache are taken from it, the others are read from the store in one query (`getMany`, else one
   * `get` per subject, concurrently) and unwrapped once each. Subjects without a key are left out
   * (`SubjectKeys.decrypt` then throws `SubjectShreddedError` for them).
   *
   * `remember: true` also puts the loaded keys in the cache (as `decrypt` does; for a request
   * that is likely to come again, like one customer's page). Without it (the default, for bulk
   * reads such as an export stream) nothing outlives the returned `SubjectKeys`, so a long stream
   * neither churns the cache nor leaves its keys in memory.
   */
  async keysFor(subjectIds: Iterable<string>, { remember = false }: { remember?: boolean } = {}): Promise<SubjectKeys> {
    const keys = new Map<string, KeyObject>();
    const missing: string[] = [];
    for (const subjectId of new Set(subjectIds)) {
      const cached = this.cache.getKeyObject(subjectId);
      if (cached) keys.set(subjectId, cached);
      else missing.push(subjectId);
    }
    if (missing.length === 0) return new SubjectKeys(keys);
    const epoch = this.shredEpoch;
    const wrapped = await this.loadWrapped(missing);
    for (const [subjectId, stored] of wrapped) {
      const key = await this.provider.unwrap(stored);
      keys.set(subjectId, createSecretKey(key));
      if (remember && epoch === this.shredEpoch) this.cache.set(subjectId, key);
      else key.fill(0);
    }
    return new SubjectKeys(keys);
  }

  private async loadWrapped(subjectIds: readonly string[]): Promise<Map<string, WrappedKey>> {
    if (this.store.getMany) return this.store.getMany(subjectIds);
    const found = await Promise.all(subjectIds.map(async (id) => [id, await this.store.get(id)] as const));
    return new Map(found.filter((entry): entry is readonly [string, WrappedKey] => entry[1] !== null));
  }

  /** Crypto-shredding: deletes the subject's data key for good and forgets the cached copy. */
  async shred(subjectId: string): Promise<void> {
    this.shredEpoch += 1;
    this.cache.delete(subjectId);
    await this.store.delete(subjectId);
    this.shredEpoch += 1;
    this.cache.delete(subjectId);
  }

  /** Zeroes and drops every cached key (e.g. on shutdown). */
  clearCache(): void {
    this.cache.clear();
  }

  /**
   * Runs `use` with the subject's data key. A key is used synchronously, in the same tick it is
   * looked up or loaded, because the cache zeroes keys it lets go of.
   */
  private async withDataKey<T>(
    subjectId: string,
    mode: 'create' | 'existing',
    use: (key: Buffer | KeyObject) => T,
  ): Promise<T> {
    const cached = this.cache.getKeyObject(subjectId);
    if (cached) return use(cached);
    const epoch = this.shredEpoch;
    const key = await this.loadDataKey(subjectId, mode);
    try {
      return use(key);
    } finally {
      if (epoch === this.shredEpoch) this.cache.set(subjectId, key);
      else key.fill(0);
    }
  }

  private async loadDataKey(subjectId: string, mode: 'create' | 'existing'): Promise<Buffer> {
    const stored = await this.store.get(subjectId);
    if (stored) return this.provider.unwrap(stored);
    if (mode === 'existing') throw new SubjectShreddedError(subjectId);
    return this.storeNewKey(subjectId);
  }

  /** A new data key, stored for the subject unless another writer stored one first (theirs is used). */
  private async storeNewKey(subjectId: string): Promise<Buffer> {
    const dataKey = generateDataKey();
    const wrapped = await this.provider.wrap(dataKey);
    if (await this.store.put(subjectId, wrapped, null)) return dataKey;
    // Another writer created the subject's key first: use theirs.
    dataKey.fill(0);
    const winner = await this.store.get(subjectId);
    if (!winner) throw new SubjectShreddedError(subjectId);
    return this.provider.unwrap(winner);
  }
}
