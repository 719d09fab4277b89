import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { assertKeyLength, IV_BYTES, KEY_BYTES, open, seal, secretKeyOf, TAG_BYTES } from './aes-gcm.util';
import { decodeBase64Strict, decodeBase64Url } from './base64.util';
import { DecryptionError, KeyringError, KeyUnavailableError } from './crypto.errors';
import type { KeyEncryptionKey, KeyProvider, WrappedKey } from './crypto.types';

const PURPOSE = 'warden.data-key-wrap.v1';

/** AAD of a wrapped data key: the purpose label and the KEK version. */
const wrapAad = (version: number): Buffer => Buffer.from(`${PURPOSE}|kek:${version}`, 'utf8');

const isVersion = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/**
 * KEKs held in process, from a keyring string or a key file. Every version in the keyring can
 * unwrap; the current one (the newest, unless a key file names another) wraps.
 */
export class StaticKeyProvider implements KeyProvider {
  /** Each KEK as a `KeyObject`, made once: wrap/unwrap never re-import the raw key bytes. */
  private readonly keys = new Map<number, KeyObject>();
  private readonly current: number;

  constructor(keys: readonly KeyEncryptionKey[], current?: number) {
    if (keys.length === 0) throw new KeyringError('keyring is empty');
    for (const { version, key } of keys) {
      if (!isVersion(version)) throw new KeyringError('key version must be a positive integer');
      if (this.keys.has(version)) throw new KeyringError(`key version ${version} appears more than once`);
      if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
        throw new KeyringError(
          `key version ${version} must be ${KEY_BYTES} bytes, got ${Buffer.isBuffer(key) ? key.length : 0}`,
        );
      }
      this.keys.set(version, secretKeyOf(key, `key version ${version}`));
    }
    const newest = Math.max(...this.keys.keys());
    if (current !== undefined && !this.keys.has(current)) {
      throw new KeyringError(`current key version ${current} is not in the keyring`);
    }
    this.current = current ?? newest;
  }

  /**
   * Parses `"1:<base64 32 bytes>,2:<base64 32 bytes>"` (as in `WARDEN_KEKS`); whitespace around
   * entries is ignored and the highest version is current.
   */
  static fromKeyring(keyring: string): StaticKeyProvider {
    if (typeof keyring !== 'string' || keyring.trim() === '') throw new KeyringError('keyring is empty');
    const entries = keyring.split(',').map((entry) => entry.trim());
    const keys = entries.map((entry, index): KeyEncryptionKey => {
      const match = /^(\d+):(.*)$/s.exec(entry);
      if (!match)
        throw new KeyringError(`keyring entry ${index + 1} is not of the form <version>:<base64 key>`);
      return { version: Number(match[1]), key: decodeKey(match[2].trim(), `keyring entry ${index + 1}`) };
    });
    return new StaticKeyProvider(keys);
  }

  /**
   * Reads a JSON key file `{ "keys": [{ "version": 1, "key": "<base64>" }], "current": 2 }`.
   * `current` is optional (default: the highest version). Read once, at boot.
   */
  static fromFile(path: string): StaticKeyProvider {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      // Not `instanceof Error`: errors from node core may come from another realm (e.g. under Jest).
      const code =
        typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
      throw new KeyringError(`key file ${path} could not be read (${code})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse messages quote the input, which here is key material.
      throw new KeyringError(`key file ${path} is not valid JSON`);
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !Array.isArray((parsed as { keys?: unknown }).keys)
    ) {
      throw new KeyringError(`key file ${path} must be an object with a "keys" array`);
    }
    const { keys, current } = parsed as { keys: unknown[]; current?: unknown };
    if (current !== undefined && !isVersion(current)) {
      throw new KeyringError(`key file ${path}: "current" must be a positive integer`);
    }
    return new StaticKeyProvider(
      keys.map((entry, index): KeyEncryptionKey => {
        const where = `key file ${path}, keys[${index}]`;
        const { version, key } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
          string,
          unknown
        >;
        if (!isVersion(version)) throw new KeyringError(`${where}: "version" must be a positive integer`);
        if (typeof key !== 'string') throw new KeyringError(`${where}: "key" must be a base64 string`);
        return { version, key: decodeKey(key, where) };
      }),
      current,
    );
  }

  currentVersion(): number {
    return this.current;
  }

  /** The versions this keyring can unwrap, oldest first. */
  versions(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    assertKeyLength(dataKey, 'data key');
    const kek = this.kek(this.current);
    const { iv, ciphertext, tag } = seal(kek, dataKey, wrapAad(this.current));
    return {
      kekVersion: this.current,
      ciphertext: Buffer.concat([iv, tag, ciphertext]).toString('base64url'),
    };
  }

  async unwrap(wrapped: WrappedKey): Promise<Buffer> {
    const kek = this.kek(wrapped.kekVersion);
    const bytes = typeof wrapped.ciphertext === 'string' ? decodeBase64Url(wrapped.ciphertext) : null;
    if (!bytes || bytes.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) throw new DecryptionError('data key');
    const dataKey = open(
      kek,
      {
        iv: bytes.subarray(0, IV_BYTES),
        tag: bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
        ciphertext: bytes.subarray(IV_BYTES + TAG_BYTES),
      },
      wrapAad(wrapped.kekVersion),
    );
    if (!dataKey) throw new DecryptionError('data key');
    return dataKey;
  }

  private kek(version: number): KeyObject {
    const kek = this.keys.get(version);
    if (!kek) throw new KeyUnavailableError(version);
    return kek;
  }
}

function decodeKey(encoded: string, where: string): Buffer {
  if (encoded === '') throw new KeyringError(`${where}: key is empty`);
  const key = decodeBase64Strict(encoded);
  if (!key) throw new KeyringError(`${where}: key is not valid base64`);
  if (key.length !== KEY_BYTES)
    throw new KeyringError(`${where}: key must be ${KEY_BYTES} bytes, got ${key.length}`);
  return key;
}
