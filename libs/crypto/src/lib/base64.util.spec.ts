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
});
