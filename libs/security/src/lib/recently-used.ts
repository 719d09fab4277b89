/**
 * A map of at most `maxEntries` entries that drops the least recently used first: a read (`get`)
 * or a write (`set`) makes an entry the most recent. `maxEntries` 0 keeps nothing.
 */
export class RecentlyUsed<K, V> {
  /** Insertion-ordered: the first key is the least recently used. */
  private readonly entries = new Map<K, V>();
  /** The most recently used key: reading it again leaves the order as it is (the common case of a hot key). */
  private newest: K | undefined;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    if (key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }
}
