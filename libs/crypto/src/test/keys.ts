import { randomBytes } from 'node:crypto';

/** Fresh random 32-byte keys as a keyring string `1:<b64>,2:<b64>…` and their raw bytes. */
export function keyring(...versions: number[]): { text: string; keys: Map<number, Buffer> } {
  const keys = new Map(versions.map((version) => [version, randomBytes(32)] as const));
  const text = [...keys].map(([version, key]) => `${version}:${key.toString('base64')}`).join(',');
  return { text, keys };
}

/** Every encoding of `key` that could leak into a message. */
export function encodingsOf(key: Buffer): string[] {
  return [key.toString('base64'), key.toString('base64url'), key.toString('hex')];
}
