import { SubjectShreddedError } from './crypto.errors';
import type { DataKeyStore, KeyProvider } from './crypto.types';
import { DataKeyCache, type DataKeyCacheOptions } from './data-key-cache';
import { contextAad, decryptField, encryptField, generateDataKey } from './field-encryption';

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

  /** Decrypts one field; throws `SubjectShreddedError` when the subject has no data key. */
  async decrypt(subjectId: string, field: string, token: string): Promise<string> {
    contextAad({ subjectId, field });
    return this.withDataKey(subjectId, 'existing', (key) => decryptField(key, token, { subjectId, field }));
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
    use: (key: Buffer) => T,
  ): Promise<T> {
    const cached = this.cache.get(subjectId);
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
