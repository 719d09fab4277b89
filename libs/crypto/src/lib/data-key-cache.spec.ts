import { randomBytes } from 'node:crypto';
import { DataKeyCache } from './data-key-cache';

const isZeroed = (key: Buffer): boolean => key.every((byte) => byte === 0);

describe('DataKeyCache', () => {
  it('evicts the least recently used key and zeroes it', () => {
    const cache = new DataKeyCache({ maxEntries: 2 });
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    cache.set('a', a);
    cache.set('b', b);
    cache.get('a'); // a is now more recent than b
    cache.set('c', c);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(isZeroed(b)).toBe(true);
    expect(cache.get('a')).toBe(a);
    expect(cache.get('c')).toBe(c);
    expect(isZeroed(a) || isZeroed(c)).toBe(false);
  });

  it('expires keys after the TTL and zeroes them', () => {
    let now = 1_000;
    const cache = new DataKeyCache({ ttlMs: 100, now: () => now });
    const key = randomBytes(32);
    cache.set('a', key);
    now += 99;
    expect(cache.get('a')).toBe(key);
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(isZeroed(key)).toBe(true);
  });

  it('zeroes a key that is replaced, deleted or cleared', () => {
    const cache = new DataKeyCache();
    const [first, second, other] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    cache.set('a', first);
    cache.set('a', second);
    expect(isZeroed(first)).toBe(true);
    cache.delete('a');
    expect(isZeroed(second)).toBe(true);
    cache.set('b', other);
    cache.clear();
    expect(isZeroed(other)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('caches nothing when maxEntries is 0', () => {
    const cache = new DataKeyCache({ maxEntries: 0 });
    cache.set('a', randomBytes(32));
    expect(cache.get('a')).toBeUndefined();
  });
});
