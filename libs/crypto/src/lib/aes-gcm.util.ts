import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoUsageError } from './crypto.errors';

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

export type Sealed = { iv: Buffer; ciphertext: Buffer; tag: Buffer };

export function assertKeyLength(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new CryptoUsageError(`${what} must be ${KEY_BYTES} bytes`);
  }
}

/** AES-256-GCM with a fresh random 96-bit IV. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Returns the plaintext, or `null` when authentication fails (tampered, wrong key or AAD). */
export function open(key: Buffer, { iv, ciphertext, tag }: Sealed, aad: Buffer): Buffer | null {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    head.fill(0);
    return null;
  }
}
