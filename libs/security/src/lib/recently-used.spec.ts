import { RecentlyUsed } from './recently-used';

describe('RecentlyUsed', () => {
  it('drops the least recently used entry when full, a read counting as a use', () => {
    const map = new RecentlyUsed<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });

  it('keeps the order right when the newest key is read again and again', () => {
    const map = new RecentlyUsed<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('b')).toBe(2);
    expect(map.get('b')).toBe(2);
    map.set('c', 3);
    expect(map.get('a')).toBeUndefined();
    expect(map.get('b')).toBe(2);
  });

  it('forgets the newest key when it is deleted, so a later write of it is ordered afresh', () => {
    const map = new RecentlyUsed<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.delete('b');
    expect(map.get('b')).toBeUndefined();
    map.set('c', 3);
    expect(map.get('a')).toBe(1);
    map.set('b', 4);
    expect(map.get('c')).toBeUndefined();
    expect([map.get('a'), map.get('b')]).toEqual([1, 4]);
  });

  it('holds nothing with 0 entries allowed, and nothing after clear', () => {
    const none = new RecentlyUsed<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(none.size).toBe(0);
    const map = new RecentlyUsed<string, number>(3);
    map.set('a', 1);
    map.clear();
    expect(map.get('a')).toBeUndefined();
    map.set('b', 2);
    expect(map.get('b')).toBe(2);
  });
});
