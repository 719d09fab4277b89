import { randomBytes } from 'node:crypto';
import { assertKeyLength, IV_BYTES, KEY_BYTES, open, seal, TAG_BYTES, type AesKey } from './aes-gcm.util';
import { decodeBase64Url } from './base64.util';
import { CryptoUsageError, DecryptionError } from './crypto.errors';
import type { EncryptionContext } from './crypto.types';

const PREFIX = 'v1';
const TOKEN = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** A fresh random 32-byte data key. */
export function generateDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/**
 * The AAD `subjectId|field`. Neither part may contain `|` (or be empty), so that two different
 * contexts can never produce the same AAD.
 */
export function contextAad({ subjectId, field }: EncryptionContext): Buffer {
  for (const [name, part] of [
    ['subjectId', subjectId],
    ['field', field],
  ] as const) {
    if (typeof part !== 'string' || part.length === 0 || part.includes('|')) {
      throw new CryptoUsageError(`encryption context ${name} must be a non-empty string without '|'`);
    }
  }
  return Buffer.from(`${subjectId}|${field}`, 'utf8');
}

/**
 * Encrypts one field value under a subject's data key: AES-256-GCM, random IV, bound to
 * `subjectId|field`. Returns `v1.<base64url iv>.<base64url ciphertext+tag>`.
 */
export function encryptField(dataKey: AesKey, plaintext: string, context: EncryptionContext): string {
  assertKeyLength(dataKey, 'data key');
  const { iv, ciphertext, tag } = seal(dataKey, Buffer.from(plaintext, 'utf8'), contextAad(context));
  return `${PREFIX}.${iv.toString('base64url')}.${Buffer.concat([ciphertext, tag]).toString('base64url')}`;
}

/** Decrypts a token from `encryptField`; throws `DecryptionError` for anything but a genuine one. */
export function decryptField(dataKey: AesKey, token: string, context: EncryptionContext): string {
  assertKeyLength(dataKey, 'data key');
  const aad = contextAad(context);
  const match = typeof token === 'string' ? TOKEN.exec(token) : null;
  const iv = match ? decodeBase64Url(match[1]) : null;
  const body = match ? decodeBase64Url(match[2]) : null;
  if (!iv || !body || iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError();
  const plaintext = open(
    dataKey,
    {
      iv,
      ciphertext: body.subarray(0, body.length - TAG_BYTES),
      tag: body.subarray(body.length - TAG_BYTES),
    },
    aad,
  );
  if (!plaintext) throw new DecryptionError();
  const text = plaintext.toString('utf8');
  plaintext.fill(0);
  return text;
}

/** Whether `value` has the shape of a field token (it says nothing about whether it decrypts). */
export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}
