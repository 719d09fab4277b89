import { createHmac, type KeyObject } from 'node:crypto';
import { secretKeyOf } from './aes-gcm.util';
import { decodeBase64Strict } from './base64.util';
import { CryptoUsageError, InvalidIndexValueError } from './crypto.errors';

export type IndexKind = 'phone' | 'email' | 'nationalId';

/**
 * Normalisation before indexing, so that equal values written differently match. Every kind is
 * first NFKC-normalised (full-width digits, letters, `＋` and spaces become ASCII) and trimmed.
 *
 * - phone: remove whitespace, `-`, `.`, `(` and `)`; a leading `00` becomes `+`. What remains
 *   must be digits with an optional leading `+`. A Chinese mobile number with its country code —
 *   `+86`, `0086` or a bare `86` followed by 11 digits starting with 1 — becomes the 11-digit
 *   national number: `+86 138-0013-8000`, `8613800138000` and `138 0013 8000` all give
 *   `13800138000`. Every other number keeps its `+` and digits as written (`+1 (415) 555-0100`
 *   gives `+14155550100`; without the `+` it is a different value).
 * - email: lower-cased. No provider-specific rules (dots, `+tags`).
 * - nationalId: all whitespace removed, upper-cased (a Chinese ID's final check digit `x` → `X`).
 *
 * Throws `InvalidIndexValueError` when nothing usable is left; the error names the kind only.
 */
export function normaliseIndexValue(kind: IndexKind, value: string): string {
  if (typeof value !== 'string') throw new InvalidIndexValueError(kind, 'value must be a string');
  const text = value.normalize('NFKC').trim();
  let normalised: string;
  switch (kind) {
    case 'phone':
      normalised = normalisePhone(text);
      break;
    case 'email':
      normalised = text.toLowerCase();
      break;
    case 'nationalId':
      normalised = text.replace(/\s+/g, '').toUpperCase();
      break;
    default: {
      const unknownKind: never = kind;
      throw new CryptoUsageError(`unknown index kind ${String(unknownKind)}`);
    }
  }
  if (normalised === '') throw new InvalidIndexValueError(kind, 'value is empty');
  return normalised;
}

function normalisePhone(text: string): string {
  const compact = text.replace(/[\s\-.()]/g, '').replace(/^00/, '+');
  if (compact === '') return '';
  if (!/^\+?\d+$/.test(compact))
    throw new InvalidIndexValueError('phone', 'only digits and a leading + are allowed');
  const chineseMobile = /^\+?86(1\d{10})$/.exec(compact);
  return chineseMobile ? chineseMobile[1] : compact;
}

/**
 * Blind indexes for exact-match search over encrypted fields: HMAC-SHA256 under a dedicated
 * 32-byte index key (never a KEK or data key) of `kind:normalised value`, as 64 hex characters.
 * The kind is part of the input, so the same digits as a phone and as an ID index differently.
 * Changing the index key changes every index: re-index all rows before switching.
 */
export class BlindIndexer {
  /** A `KeyObject`, made once: an HMAC over raw key bytes re-imports them on every call. */
  private readonly key: KeyObject;

  constructor(indexKey: Buffer) {
    this.key = secretKeyOf(indexKey, 'blind index key');
  }

  /** From a base64 (or base64url) encoded 32-byte key, e.g. an environment variable. */
  static fromBase64(encoded: string): BlindIndexer {
    const key = typeof encoded === 'string' ? decodeBase64Strict(encoded.trim()) : null;
    if (!key || encoded.trim() === '') throw new CryptoUsageError('blind index key is not valid base64');
    return new BlindIndexer(key);
  }

  index(kind: IndexKind, value: string): string {
    return createHmac('sha256', this.key)
      .update(`${kind}:${normaliseIndexValue(kind, value)}`, 'utf8')
      .digest('hex');
  }
}
