/**
 * Strict base64 decoding. `Buffer.from(s, 'base64')` silently skips invalid characters, which
 * would turn a typo in a key into a different (shorter) key; this accepts the standard and the
 * URL-safe alphabet, with or without padding, and nothing else. Returns `null` when invalid.
 */
export function decodeBase64Strict(input: string): Buffer | null {
  const unpadded = input.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(unpadded) || unpadded.length % 4 === 1) return null;
  if (/[+/]/.test(unpadded) && /[-_]/.test(unpadded)) return null;
  if (input.length !== unpadded.length && input.length % 4 !== 0) return null;
  const bytes = Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  // Reject non-canonical encodings (stray bits in the last character).
  const canonical = bytes.toString('base64url');
  return canonical === unpadded.replace(/\+/g, '-').replace(/\//g, '_') ? bytes : null;
}

/** base64url without padding, the only alphabet our own tokens use. */
export function decodeBase64Url(input: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(input)) return null;
  // Canonical unpadded base64url: no dangling character, and the bits of the last character
  // that fall past the last byte are zero (what re-encoding and comparing checks, cheaper).
  const rest = input.length % 4;
  if (rest === 1) return null;
  if (rest !== 0) {
    const last = URL_ALPHABET.indexOf(input[input.length - 1]);
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) return null;
  }
  return Buffer.from(input, 'base64url');
}

const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
