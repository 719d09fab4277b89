import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32 } from './base32.util';

/** How many recovery codes a user holds after activation or regeneration. */
export const RECOVERY_CODE_COUNT = 10;

/** `abcd-efgh-ijkl-mnop`: 16 base32 characters (80 random bits), lower case, in groups of four. */
export const RECOVERY_CODE_PATTERN = /^[a-z2-7]{4}(-?[a-z2-7]{4}){3}$/i;

export type StoredRecoveryCode = { salt: string; hash: string };

/** One new code, from 10 random bytes (the source is a parameter so tests can pin it). */
export function newRecoveryCode(random: (size: number) => Buffer = randomBytes): string {
  const body = base32(random(10)).toLowerCase();
  return body.match(/.{4}/g)?.join('-') ?? body;
}

/** What a user may type: any case, with or without the dashes. */
export const normalizeRecoveryCode = (code: string): string => code.trim().toLowerCase().replace(/-/g, '');

/**
 * SHA-256 of a per-code random salt and the normalized code. The codes carry 80 random bits, so a
 * fast hash is enough (nothing to brute-force as with a password), and a login checks ten of them.
 */
export function hashRecoveryCode(code: string, salt: string = randomBytes(16).toString('hex')): StoredRecoveryCode {
  return { salt, hash: createHash('sha256').update(`${salt}:${normalizeRecoveryCode(code)}`).digest('hex') };
}

/** Index of the stored code `code` matches (compared in constant time, every code checked), or -1. */
export function matchRecoveryCode(code: string, stored: readonly StoredRecoveryCode[]): number {
  let found = -1;
  stored.forEach((candidate, index) => {
    const { hash } = hashRecoveryCode(code, candidate.salt);
    if (timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(candidate.hash, 'hex')) && found === -1) found = index;
  });
  return found;
}
