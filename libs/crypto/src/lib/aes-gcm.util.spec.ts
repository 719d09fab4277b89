import { randomBytes } from 'node:crypto';
import { freshIv, open, seal } from './aes-gcm.util';

describe('AES-GCM IVs', () => {
  it('hands out 96-bit IVs that are all different, across many blocks of random bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      const iv = freshIv();
      expect(iv).toHaveLength(12);
      seen.add(iv.toString('hex'));
    }
    expect(seen.size).toBe(5000);
  });

  it('never changes an IV after handing it out, when later IVs come from a new block', () => {
    const first = freshIv();
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i += 1) freshIv();
    expect(first.equals(copy)).toBe(true);
  });

  it('seals each message under a fresh IV, and opens what it sealed', () => {
    const key = randomBytes(32);
    const aad = Buffer.from('ctx');
    const a = seal(key, Buffer.from('same'), aad);
    const b = seal(key, Buffer.from('same'), aad);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(open(key, a, aad)?.toString()).toBe('same');
  });
});
