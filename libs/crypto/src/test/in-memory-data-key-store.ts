import type { DataKeyStore, StoredDataKey, WrappedKey } from '../lib/crypto.types';

const same = (a: WrappedKey, b: WrappedKey): boolean =>
  a.kekVersion === b.kekVersion && a.ciphertext === b.ciphertext;

/** A `DataKeyStore` for unit tests only, with call counters. Not exported from the library. */
export class InMemoryDataKeyStore implements DataKeyStore {
  readonly keys = new Map<string, WrappedKey>();
  readonly calls = { get: 0, getMany: 0, put: 0, putNewMany: 0, delete: 0, list: 0 };

  async get(subjectId: string): Promise<WrappedKey | null> {
    this.calls.get += 1;
    const wrapped = this.keys.get(subjectId);
    return wrapped ? { ...wrapped } : null;
  }

  async getMany(subjectIds: readonly string[]): Promise<Map<string, WrappedKey>> {
    this.calls.getMany += 1;
    const found = new Map<string, WrappedKey>();
    for (const id of subjectIds) {
      const wrapped = this.keys.get(id);
      if (wrapped) found.set(id, { ...wrapped });
    }
    return found;
  }

  async put(subjectId: string, wrapped: WrappedKey, expected: WrappedKey | null): Promise<boolean> {
    this.calls.put += 1;
    const stored = this.keys.get(subjectId) ?? null;
    const matches = expected === null ? stored === null : stored !== null && same(stored, expected);
    if (matches) this.keys.set(subjectId, { ...wrapped });
    return matches;
  }

  async putNewMany(entries: ReadonlyArray<{ subjectId: string; wrapped: WrappedKey }>): Promise<Set<string>> {
    this.calls.putNewMany += 1;
    const stored = new Set<string>();
    for (const { subjectId, wrapped } of entries) {
      if (this.keys.has(subjectId)) continue;
      this.keys.set(subjectId, { ...wrapped });
      stored.add(subjectId);
    }
    return stored;
  }

  async delete(subjectId: string): Promise<void> {
    this.calls.delete += 1;
    this.keys.delete(subjectId);
  }

  async list(afterSubjectId: string | null, limit: number): Promise<StoredDataKey[]> {
    this.calls.list += 1;
    return [...this.keys.entries()]
      .filter(([subjectId]) => afterSubjectId === null || subjectId > afterSubjectId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([subjectId, wrapped]) => ({ subjectId, wrapped: { ...wrapped } }));
  }

  async count(): Promise<number> {
    return this.keys.size;
  }
}
