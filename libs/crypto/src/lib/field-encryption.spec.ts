import { createSecretKey, randomBytes } from 'node:crypto';
import { secretKeyOf } from './aes-gcm.util';
import { DecryptionError, CryptoUsageError } from './crypto.errors';
import { decryptField, encryptField, generateDataKey, isEncryptedField } from './field-encryption';

const context = { subjectId: 'cust-0001', field: 'mobile' };

/** Flips one bit of the decoded ciphertext part of a token. */
function tamper(token: string): string {
  const [version, iv, body] = token.split('.');
  const bytes = Buffer.from(body, 'base64url');
  bytes[0] ^= 0x01;
  return [version, iv, bytes.toString('base64url')].join('.');
}

describe('field encryption', () => {
  const key = generateDataKey();

  it('works the same with the key as a KeyObject (made once, for fast ciphers) as with its bytes', () => {
    const object = secretKeyOf(key);
    const token = encryptField(object, '+86 138-0013-8000', context);
    expect(decryptField(key, token, context)).toBe('+86 138-0013-8000');
    expect(decryptField(object, encryptField(key, 'again', context), context)).toBe('again');
    expect(() => decryptField(object, token, { ...context, field: 'email' })).toThrow(DecryptionError);
    expect(() => decryptField(secretKeyOf(generateDataKey()), token, context)).toThrow(DecryptionError);
  });

  it('rejects a KeyObject that is not a 32-byte secret key', () => {
    expect(() => encryptField(createSecretKey(randomBytes(16)), 'x', context)).toThrow(CryptoUsageError);
    expect(() => secretKeyOf(randomBytes(31))).toThrow(CryptoUsageError);
  });

  it('generates 32-byte data keys that differ every time', () => {
    expect(key).toHaveLength(32);
    expect(generateDataKey().equals(generateDataKey())).toBe(false);
  });

  it.each(['13800138000', 'ada@example.com', '', '北京市朝阳区建国路 88 号', 'x'.repeat(10_000)])(
    'round-trips %j',
    (plaintext) => {
      const token = encryptField(key, plaintext, context);
      expect(decryptField(key, token, context)).toBe(plaintext);
    },
  );

  it('produces a compact v1 token that does not contain the plaintext', () => {
    const token = encryptField(key, 'ada@example.com', context);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('ada');
    expect(isEncryptedField(token)).toBe(true);
  });

  it('uses a fresh IV, so the same value encrypts differently each time', () => {
    expect(encryptField(key, 'same', context)).not.toBe(encryptField(key, 'same', context));
  });

  describe('when decryption must fail', () => {
    const token = encryptField(key, '13800138000', context);

    const cases: Array<[string, () => string]> = [
      ['the ciphertext was tampered with', () => decryptField(key, tamper(token), context)],
      [
        'the token was moved to another subject',
        () => decryptField(key, token, { ...context, subjectId: 'cust-0002' }),
      ],
      [
        'the token was moved to another field',
        () => decryptField(key, token, { ...context, field: 'email' }),
      ],
      ['the key is another subject’s key', () => decryptField(generateDataKey(), token, context)],
      ['the token is truncated', () => decryptField(key, token.slice(0, -4), context)],
      ['the token is not a token at all', () => decryptField(key, '13800138000', context)],
      ['the version prefix is unknown', () => decryptField(key, token.replace(/^v1/, 'v2'), context)],
    ];

    it.each(cases)('throws DecryptionError when %s', (_case, attempt) => {
      expect(attempt).toThrow(DecryptionError);
    });

    it('reports DECRYPTION_FAILED with status 500 and no plaintext or key in the message', () => {
      let caught: unknown;
      try {
        decryptField(key, tamper(token), context);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DecryptionError);
      const error = caught as DecryptionError;
      expect(error.code).toBe('DECRYPTION_FAILED');
      expect(error.status).toBe(500);
      for (const secret of ['13800138000', key.toString('base64'), key.toString('hex'), token]) {
        expect(error.message).not.toContain(secret);
      }
    });
  });

  it('rejects a context that could be confused with another (a | in the subject or field)', () => {
    expect(() => encryptField(key, 'v', { subjectId: 'a|b', field: 'c' })).toThrow(CryptoUsageError);
    expect(() => encryptField(key, 'v', { subjectId: 'a', field: '' })).toThrow(CryptoUsageError);
  });

  it('rejects a data key that is not 32 bytes', () => {
    expect(() => encryptField(Buffer.alloc(16), 'v', context)).toThrow(CryptoUsageError);
  });

  it.each([null, 42, '', 'hello', 'v1.abc.def', '13800138000'])(
    'does not mistake %j for an encrypted field',
    (value) => {
      expect(isEncryptedField(value)).toBe(false);
    },
  );
});
