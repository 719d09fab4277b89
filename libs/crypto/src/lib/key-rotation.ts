import { CryptoUsageError, DecryptionError, KeyUnavailableError } from './crypto.errors';
import type { DataKeyStore, KeyProvider, WrappedKey } from './crypto.types';

export type RotationProgress = {
  /** Keys examined so far. */
  done: number;
  /** How many keys exist, when the store can count them. */
  total?: number;
  /** Keys re-wrapped under the current KEK version. */
  rewrapped: number;
  /** Keys already on the current (or a newer) version, or changed or shredded while we ran. */
  skipped: number;
  /** Keys on an older version that could not be unwrapped (corrupt, or their KEK is missing). */
  failed: number;
};

export type RotationResult = RotationProgress & {
  /** Keys still on an older KEK version after this run; remove an old KEK only when this is 0. */
  remaining: number;
  failedSubjectIds: string[];
};

export type RotationOptions = {
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
};

/**
 * Re-wraps every subject's data key under the provider's current KEK version. Field ciphertexts
 * never change: only the wrapping of each data key does. Idempotent and resumable (keys already
 * on the current version are skipped), safe to run while the service serves traffic as long as
 * the keyring still holds the old versions, and it never resurrects a key shredded meanwhile
 * (the store's conditional `put`). Infrastructure errors abort the run; re-run it.
 */
export async function rewrapAll(
  provider: KeyProvider,
  store: DataKeyStore,
  { batchSize = 100, onProgress }: RotationOptions = {},
): Promise<RotationResult> {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new CryptoUsageError('batchSize must be a positive integer');
  }
  const current = provider.currentVersion();
  const total = store.count ? await store.count() : undefined;
  const progress: RotationProgress = {
    done: 0,
    ...(total === undefined ? {} : { total }),
    rewrapped: 0,
    skipped: 0,
    failed: 0,
  };
  const failedSubjectIds: string[] = [];
  let after: string | null = null;

  for (;;) {
    const page = await store.list(after, batchSize);
    for (const { subjectId, wrapped } of page) {
      if (wrapped.kekVersion >= current) {
        progress.skipped += 1;
      } else {
        let dataKey: Buffer;
        try {
          dataKey = await provider.unwrap(wrapped);
        } catch (error) {
          if (!(error instanceof DecryptionError || error instanceof KeyUnavailableError)) throw error;
          progress.failed += 1;
          failedSubjectIds.push(subjectId);
          progress.done += 1;
          continue;
        }
        let rewrapped: WrappedKey;
        try {
          rewrapped = await provider.wrap(dataKey);
        } finally {
          dataKey.fill(0);
        }
        if (await store.put(subjectId, rewrapped, wrapped)) progress.rewrapped += 1;
        else progress.skipped += 1;
      }
      progress.done += 1;
    }
    if (page.length > 0) onProgress?.({ ...progress });
    if (page.length < batchSize) break;
    after = page[page.length - 1].subjectId;
  }
  return { ...progress, remaining: progress.failed, failedSubjectIds };
}
