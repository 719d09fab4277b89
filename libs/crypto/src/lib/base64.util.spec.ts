import { randomBytes } from 'node:crypto';
import { decodeBase64Strict, decodeBase64Url } from './base64.util';

describe('decodeBase64Strict', () => {
  const bytes = randomBytes(32);

  it.each([
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ])('decodes %s', (encoded) => {
    expect(decodeBase64Strict(encoded)?.equals(bytes)).toBe(true);
  });

  it.each(['abc!', 'a', 'ab+_', 'YQ=', 'YR==', 'Y Q=='])(
    'rejects %j instead of decoding part of it',
    (encoded) => {
      expect(decodeBase64Strict(encoded)).toBeNull();
    },
  );

  it('only accepts the URL-safe alphabet without padding for tokens', () => {
    expect(decodeBase64Url(bytes.toString('base64url'))?.equals(bytes)).toBe(true);
    expect(decodeBase64Url('YQ==')).toBeNull();
  });

  it('accepts exactly what the strict decoder accepts for URL-safe input, with the same bytes', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let length = 0; length <= 9; length += 1) {
      for (let trial = 0; trial < 400; trial += 1) {
        const input = Array.from(randomBytes(length), (b) => alphabet[b % 64]).join('');
        const fast = decodeBase64Url(input);
        const strict = decodeBase64Strict(input);
        expect(fast === null).toBe(strict === null);
        if (fast && strict) expect(fast.equals(strict)).toBe(true);
      }
    }
    for (let length = 0; length <= 40; length += 1) {
      const bytes = randomBytes(length);
      expect(decodeBase64Url(bytes.toString('base64url'))?.equals(bytes)).toBe(true);
    }
  });
});
