export type DataKeyCacheOptions = {
  /** Most keys held at once; the least recently used goes first. 0 disables caching. */
  maxEntries?: number;
  /** How long a key may be served from memory after it was unwrapped. */
  ttlMs?: number;
  /** The clock, injectable for tests. */
  now?: () => number;
};

import { createSecretKey, type KeyObject } from 'node:crypto';

type Entry = { key: Buffer; expiresAt: number; object: KeyObject | null };

/**
 * A small LRU of unwrapped data keys with a TTL. A key leaving the cache (evicted, expired,
 * replaced or deleted) is overwritten with zeros, so callers must use a key synchronously, right
 * after `get`, and never keep it. (Zeroing is best effort: OpenSSL and the GC may hold copies.)
 * `getKeyObject` serves the same key as a `KeyObject` (made once per entry, for fast ciphers); that
 * copy cannot be zeroed and is freed when collected, after the entry leaves.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor({ maxEntries = 1000, ttlMs = 5 * 60_000, now = Date.now }: DataKeyCacheOptions = {}) {
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(subjectId: string): Buffer | undefined {
    return this.live(subjectId)?.key;
  }

  /** The cached key as a `KeyObject` (created on first use of the entry). */
  getKeyObject(subjectId: string): KeyObject | undefined {
    const entry = this.live(subjectId);
    if (!entry) return undefined;
    entry.object ??= createSecretKey(entry.key);
    return entry.object;
  }

  private live(subjectId: string): Entry | undefined {
    const entry = this.entries.get(subjectId);
    if (!entry) return undefined;
    this.entries.delete(subjectId);
    if (entry.expiresAt <= this.now()) {
      entry.key.fill(0);
      return undefined;
    }
    this.entries.set(subjectId, entry); // most recently used now
    return entry;
  }

  /** Takes ownership of `key`: the cache zeroes it when it leaves. */
  set(subjectId: string, key: Buffer): void {
    const previous = this.entries.get(subjectId);
    this.entries.delete(subjectId);
    if (previous && previous.key !== key) previous.key.fill(0);
    this.entries.set(subjectId, { key, expiresAt: this.now() + this.ttlMs, object: null });
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      entry.key.fill(0);
    }
  }

  delete(subjectId: string): void {
    this.entries.get(subjectId)?.key.fill(0);
    this.entries.delete(subjectId);
  }

  clear(): void {
    for (const { key } of this.entries.values()) key.fill(0);
    this.entries.clear();
  }
}
