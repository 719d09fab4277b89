import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encodingsOf, keyring } from '../test/keys';
import { DecryptionError, KeyringError, KeyUnavailableError } from './crypto.errors';
import { generateDataKey } from './field-encryption';
import { StaticKeyProvider } from './static-key-provider';

/** The KeyringError thrown by `build`, asserting it leaks none of `secrets`. */
function keyringError(build: () => unknown, secrets: string[] = []): KeyringError {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KeyringError);
  const error = caught as KeyringError;
  expect(error.code).toBe('INVALID_KEYRING');
  for (const secret of secrets) expect(error.message).not.toContain(secret);
  return error;
}

describe('StaticKeyProvider', () => {
  describe('from a keyring string', () => {
    it('makes the newest version current', () => {
      const { text } = keyring(1, 3, 2);
      const provider = StaticKeyProvider.fromKeyring(text);
      expect(provider.currentVersion()).toBe(3);
      expect(provider.versions()).toEqual([1, 2, 3]);
    });

    it('ignores whitespace around entries and accepts base64url keys', () => {
      const a = randomBytes(32);
      const b = randomBytes(32);
      const provider = StaticKeyProvider.fromKeyring(
        ` 1:${a.toString('base64')} ,\n 2:${b.toString('base64url')}\n`,
      );
      expect(provider.versions()).toEqual([1, 2]);
    });

    it('rejects an empty keyring', () => {
      expect(keyringError(() => StaticKeyProvider.fromKeyring('  ')).message).toMatch(/empty/);
    });

    it('rejects a key of the wrong length, naming the entry and the length but not the key', () => {
      const short = randomBytes(16);
      const { text } = keyring(1);
      const error = keyringError(
        () => StaticKeyProvider.fromKeyring(`${text},2:${short.toString('base64')}`),
        encodingsOf(short),
      );
      expect(error.message).toMatch(/entry 2.*32 bytes, got 16/);
    });

    it('rejects a duplicate version', () => {
      const { text, keys } = keyring(1);
      const error = keyringError(
        () => StaticKeyProvider.fromKeyring(`${text},${text}`),
        encodingsOf(keys.get(1)!),
      );
      expect(error.message).toMatch(/version 1 appears more than once/);
    });

    it('rejects a key that is not valid base64 instead of decoding what it can', () => {
      const key = randomBytes(32).toString('base64');
      const broken = `${key.slice(0, 10)}!${key.slice(11)}`;
      const error = keyringError(
        () => StaticKeyProvider.fromKeyring(`1:${broken}`),
        [broken, key.slice(0, 10)],
      );
      expect(error.message).toMatch(/entry 1: key is not valid base64/);
    });

    it('rejects an entry without a version, without echoing it', () => {
      const key = randomBytes(32).toString('base64');
      const error = keyringError(() => StaticKeyProvider.fromKeyring(key), [key]);
      expect(error.message).toMatch(/entry 1 is not of the form <version>:<base64 key>/);
    });

    it('rejects version 0 and an empty key', () => {
      const key = randomBytes(32).toString('base64');
      expect(keyringError(() => StaticKeyProvider.fromKeyring(`0:${key}`), [key]).message).toMatch(
        /positive integer/,
      );
      expect(keyringError(() => StaticKeyProvider.fromKeyring('1:')).message).toMatch(/key is empty/);
    });
  });

  describe('from a key file', () => {
    let dir: string;
    const write = (content: string): string => {
      const path = join(dir, `keys-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'warden-crypto-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('uses the current version the file names', () => {
      const { keys } = keyring(1, 2);
      const path = write(
        JSON.stringify({
          keys: [...keys].map(([version, key]) => ({ version, key: key.toString('base64') })),
          current: 1,
        }),
      );
      expect(StaticKeyProvider.fromFile(path).currentVersion()).toBe(1);
    });

    it('defaults to the newest version when the file names none', () => {
      const { keys } = keyring(4, 7);
      const path = write(
        JSON.stringify({
          keys: [...keys].map(([version, key]) => ({ version, key: key.toString('base64') })),
        }),
      );
      expect(StaticKeyProvider.fromFile(path).currentVersion()).toBe(7);
    });

    it('rejects a current version that is not in the file', () => {
      const key = randomBytes(32).toString('base64');
      const error = keyringError(
        () => StaticKeyProvider.fromFile(write(JSON.stringify({ keys: [{ version: 1, key }], current: 2 }))),
        [key],
      );
      expect(error.message).toMatch(/current key version 2 is not in the keyring/);
    });

    it('rejects invalid JSON without quoting the file', () => {
      const key = randomBytes(32).toString('base64');
      const error = keyringError(
        () => StaticKeyProvider.fromFile(write(`{ "keys": [{ "version": 1, "key": ${key} }] }`)),
        [key],
      );
      expect(error.message).toMatch(/not valid JSON/);
    });

    it('rejects an empty keys array and a wrong-length key, naming the entry', () => {
      expect(keyringError(() => StaticKeyProvider.fromFile(write('{ "keys": [] }'))).message).toMatch(
        /empty/,
      );
      const short = randomBytes(31);
      const path = write(JSON.stringify({ keys: [{ version: 1, key: short.toString('base64') }] }));
      expect(keyringError(() => StaticKeyProvider.fromFile(path), encodingsOf(short)).message).toMatch(
        /keys\[0\]: key must be 32 bytes, got 31/,
      );
    });

    it('names a missing file', () => {
      expect(keyringError(() => StaticKeyProvider.fromFile(join(dir, 'missing.json'))).message).toMatch(
        /could not be read \(ENOENT\)/,
      );
    });
  });

  describe('wrapping data keys', () => {
    const { text } = keyring(1, 2);
    const provider = StaticKeyProvider.fromKeyring(text);

    it('wraps with the current version and unwraps to the same data key', async () => {
      const dataKey = generateDataKey();
      const wrapped = await provider.wrap(dataKey);
      expect(wrapped.kekVersion).toBe(2);
      expect(Buffer.from(wrapped.ciphertext, 'base64url')).toHaveLength(12 + 16 + 32);
      expect((await provider.unwrap(wrapped)).equals(dataKey)).toBe(true);
    });

    it('unwraps keys wrapped under an older version that is still in the keyring', async () => {
      const [first] = text.split(',');
      const old = StaticKeyProvider.fromKeyring(first);
      const dataKey = generateDataKey();
      const wrapped = await old.wrap(dataKey);
      expect(wrapped.kekVersion).toBe(1);
      expect((await provider.unwrap(wrapped)).equals(dataKey)).toBe(true);
    });

    it('refuses a version missing from the keyring', async () => {
      const newer = StaticKeyProvider.fromKeyring(keyring(3).text);
      await expect(provider.unwrap(await newer.wrap(generateDataKey()))).rejects.toThrow(KeyUnavailableError);
    });

    it('fails to unwrap under another version label even with the same key bytes (the AAD binds the version)', async () => {
      const bytes = randomBytes(32).toString('base64');
      const twins = StaticKeyProvider.fromKeyring(`1:${bytes},2:${bytes}`);
      const wrapped = await twins.wrap(generateDataKey());
      expect(wrapped.kekVersion).toBe(2);
      await expect(twins.unwrap({ ...wrapped, kekVersion: 1 })).rejects.toThrow(DecryptionError);
    });

    it('fails to unwrap a tampered wrapped key', async () => {
      const wrapped = await provider.wrap(generateDataKey());
      const bytes = Buffer.from(wrapped.ciphertext, 'base64url');
      bytes[bytes.length - 1] ^= 0x80;
      await expect(provider.unwrap({ ...wrapped, ciphertext: bytes.toString('base64url') })).rejects.toThrow(
        DecryptionError,
      );
    });
  });
});
