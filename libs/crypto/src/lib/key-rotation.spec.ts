import { randomBytes } from 'node:crypto';
import { InMemoryDataKeyStore } from '../test/in-memory-data-key-store';
import { DecryptionError } from './crypto.errors';
import type { WrappedKey } from './crypto.types';
import { FieldCipher } from './field-cipher';
import { rewrapAll, type RotationProgress } from './key-rotation';
import { StaticKeyProvider } from './static-key-provider';

const b64 = (): string => randomBytes(32).toString('base64');

/** Ten subjects encrypted under KEK v1, then a keyring with v2 added (v2 current). */
async function encryptedUnderV1(subjects = 10) {
  const v1 = `1:${b64()}`;
  const before = StaticKeyProvider.fromKeyring(v1);
  const after = StaticKeyProvider.fromKeyring(`${v1},2:${b64()}`);
  const store = new InMemoryDataKeyStore();
  const cipher = new FieldCipher(before, store);
  const tokens = new Map<string, string>();
  for (let i = 0; i < subjects; i += 1) {
    const subjectId = `cust-${String(i).padStart(3, '0')}`;
    tokens.set(subjectId, await cipher.encrypt(subjectId, 'mobile', `1380013${String(i).padStart(4, '0')}`));
  }
  return { before, after, store, tokens };
}

describe('rewrapAll', () => {
  it('re-wraps every old key under the current version, in batches, reporting progress', async () => {
    const { after, store } = await encryptedUnderV1(10);
    const progress: RotationProgress[] = [];
    const result = await rewrapAll(after, store, { batchSize: 4, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ done: 10, total: 10, rewrapped: 10, skipped: 0, failed: 0, remaining: 0 });
    expect(progress.map((p) => p.done)).toEqual([4, 8, 10]);
    expect(progress[0]).toEqual({ done: 4, total: 10, rewrapped: 4, skipped: 0, failed: 0 });
    expect([...store.keys.values()].every((wrapped) => wrapped.kekVersion === 2)).toBe(true);
  });

  it('leaves field ciphertexts untouched: old tokens decrypt after rotation, even without the old KEK', async () => {
    const { after, store, tokens } = await encryptedUnderV1(3);
    await rewrapAll(after, store);
    const [, v2] = after.versions();
    const onlyNewKek = new StaticKeyProvider([{ version: v2, key: Buffer.alloc(32) }]);
    const withBoth = new FieldCipher(after, store);
    for (const [subjectId, token] of tokens) {
      expect(await withBoth.decrypt(subjectId, 'mobile', token)).toMatch(/^1380013\d{4}$/);
    }
    await expect(
      new FieldCipher(onlyNewKek, store).decrypt('cust-000', 'mobile', tokens.get('cust-000')!),
    ).rejects.toThrow(
      DecryptionError, // the stand-in v2 bytes are wrong, proving the key is now wrapped by v2 alone
    );
  });

  it('is idempotent: a second run skips every key', async () => {
    const { after, store } = await encryptedUnderV1(5);
    await rewrapAll(after, store);
    const snapshot = new Map(store.keys);
    const second = await rewrapAll(after, store, { batchSize: 2 });
    expect(second).toMatchObject({ done: 5, rewrapped: 0, skipped: 5, remaining: 0 });
    expect(store.keys).toEqual(snapshot);
  });

  it('keeps reads working while it runs', async () => {
    const { after, store, tokens } = await encryptedUnderV1(6);
    const reader = new FieldCipher(after, store, { cache: { maxEntries: 0 } });
    let reads = 0;
    await rewrapAll(after, store, {
      batchSize: 2,
      onProgress: () => {
        for (const [subjectId, token] of tokens)
          void reader.decrypt(subjectId, 'mobile', token).then(() => (reads += 1));
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(18);
  });

  it('does not resurrect a key shredded while it ran', async () => {
    const { after, store } = await encryptedUnderV1(4);
    const cipher = new FieldCipher(after, store);
    const realList = store.list.bind(store);
    store.list = async (afterId, limit) => {
      const page = await realList(afterId, limit);
      if (afterId === null) await cipher.shred('cust-001'); // after it was read, before it is re-wrapped
      return page;
    };
    const result = await rewrapAll(after, store);
    expect(store.keys.has('cust-001')).toBe(false);
    expect(result).toMatchObject({ rewrapped: 3, skipped: 1, remaining: 0 });
  });

  it('reports keys it cannot unwrap as remaining, by subject id, and carries on', async () => {
    const { after, store } = await encryptedUnderV1(3);
    const corrupt: WrappedKey = { kekVersion: 1, ciphertext: Buffer.alloc(60).toString('base64url') };
    store.keys.set('cust-001', corrupt);
    const result = await rewrapAll(after, store);
    expect(result).toMatchObject({
      done: 3,
      rewrapped: 2,
      failed: 1,
      remaining: 1,
      failedSubjectIds: ['cust-001'],
    });
  });
});
