import { StaticKeyProvider } from '@warden/crypto';
import { createHmac, randomBytes } from 'node:crypto';
import { backoffMs, openSecret, sealSecret, signDelivery } from './webhook-secret.util';

const keys = StaticKeyProvider.fromKeyring(`1:${randomBytes(32).toString('base64')}`);

describe('webhook secrets', () => {
  it('round-trips, and the ciphertext does not contain the secret', async () => {
    const sealed = await sealSecret(keys, 'w1', 'super-secret-value-123');
    expect(sealed.ciphertext).not.toContain('super-secret');
    expect(await openSecret(keys, 'w1', sealed.key, sealed.ciphertext)).toBe('super-secret-value-123');
  });
  it('does not open under another webhook id', async () => {
    const sealed = await sealSecret(keys, 'w1', 'super-secret-value-123');
    await expect(openSecret(keys, 'w2', sealed.key, sealed.ciphertext)).rejects.toThrow();
  });
  it('signs timestamp.body with HMAC-SHA256', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signDelivery('k', 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
  });
  it('backs off 1 s, 2 s, 4 s … up to 5 min', () => {
    expect([1, 2, 3, 20].map(backoffMs)).toEqual([1000, 2000, 4000, 300_000]);
  });
});
