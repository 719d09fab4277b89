import type { KeyProvider, WrappedKey } from '@warden/crypto';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * A webhook secret must be recoverable to sign each delivery, so it is encrypted, not hashed:
 * AES-256-GCM under a data key of its own, which the keyring (WARDEN_KEKS) wraps. The webhook id
 * is bound in as additional data, so a ciphertext moved to another row does not decrypt.
 */
export async function sealSecret(keys: KeyProvider, webhookId: string, secret: string): Promise<{ key: WrappedKey; ciphertext: string }> {
  const dataKey = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(Buffer.from(`webhook:${webhookId}`));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const key = await keys.wrap(dataKey);
  dataKey.fill(0);
  return { key, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
}

export async function openSecret(keys: KeyProvider, webhookId: string, key: WrappedKey, ciphertext: string): Promise<string> {
  const dataKey = await keys.unwrap(key);
  const bytes = Buffer.from(ciphertext, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(`webhook:${webhookId}`));
  decipher.setAuthTag(bytes.subarray(12, 28));
  const secret = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  dataKey.fill(0);
  return secret;
}

/** `X-Warden-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, timestamp in epoch seconds. */
export const signDelivery = (secret: string, timestamp: number, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** Back-off before attempt `attempt + 1`: 1 s doubling, at most 5 min. */
export const backoffMs = (attempt: number): number => Math.min(300_000, 1000 * 2 ** Math.max(0, attempt - 1));
