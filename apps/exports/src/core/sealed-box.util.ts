import type { KeyProvider } from '@warden/crypto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A small secret at rest (e.g. an export's plain filter): AES-256-GCM under a fresh data key wrapped by the KEK. */
export type SealedBox = { kekVersion: number; wrappedKey: string; payload: string };

export async function sealBox(keys: KeyProvider, plaintext: string, context: string): Promise<SealedBox> {
  const dataKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const wrapped = await keys.wrap(dataKey);
  return {
    kekVersion: wrapped.kekVersion,
    wrappedKey: wrapped.ciphertext,
    payload: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'),
  };
}

export async function openBox(keys: KeyProvider, box: SealedBox, context: string): Promise<string> {
  const dataKey = await keys.unwrap({ kekVersion: box.kekVersion, ciphertext: box.wrappedKey });
  const raw = Buffer.from(box.payload, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
