/** A key-encryption key (KEK): wraps data keys, never touches field data. */
export type KeyEncryptionKey = {
  version: number;
  /** 32 bytes (AES-256). */
  key: Buffer;
};

/** A data key encrypted under a KEK, as stored next to the subject it protects. */
export type WrappedKey = {
  kekVersion: number;
  /** base64url of iv (12 bytes) | tag (16 bytes) | ciphertext. */
  ciphertext: string;
};

/**
 * Wraps and unwraps data keys. `StaticKeyProvider` holds the KEKs in process; a KMS-backed
 * provider implements the same contract.
 */
export interface KeyProvider {
  /** The KEK version that `wrap` uses. */
  currentVersion(): number;
  wrap(dataKey: Buffer): Promise<WrappedKey>;
  /** Throws `KeyUnavailableError` for an unknown KEK version, `DecryptionError` if tampered. */
  unwrap(wrapped: WrappedKey): Promise<Buffer>;
}

export type StoredDataKey = {
  subjectId: string;
  wrapped: WrappedKey;
};

/**
 * Persistence of each subject's wrapped data key (one per subject).
 *
 * `put` is a conditional write so that concurrent writers cannot lose a key: with
 * `expected === null` it inserts only when the subject has no key (first use); otherwise it
 * replaces the stored key only if it still equals `expected` (rotation). It resolves to whether
 * it wrote. This is what stops a concurrent first `encrypt` from overwriting another's key, and a
 * rotation from resurrecting a key that was shredded while it ran. In SQL: `INSERT … ON CONFLICT
 * DO NOTHING`, and `UPDATE … WHERE subject_id = $1 AND kek_version = $2 AND ciphertext = $3`.
 */
export interface DataKeyStore {
  get(subjectId: string): Promise<WrappedKey | null>;
  /**
   * Optional: the keys of many subjects in one read (subjects without a key are absent from the
   * map). `FieldCipher.keysFor` uses it to load a page's keys with one query instead of one each.
   */
  getMany?(subjectIds: readonly string[]): Promise<Map<string, WrappedKey>>;
  put(subjectId: string, wrapped: WrappedKey, expected: WrappedKey | null): Promise<boolean>;
  /**
   * Optional: insert-if-absent of many subjects' keys in one write (`put` with `expected === null`
   * for each); resolves to the subjects whose key it stored. `FieldCipher.createDataKeys` uses it to
   * create a group of new subjects' keys (a bulk import) with one statement instead of one each.
   */
  putNewMany?(entries: ReadonlyArray<{ subjectId: string; wrapped: WrappedKey }>): Promise<Set<string>>;
  /** Deletes the key for good (crypto-shredding). Deleting an absent key is not an error. */
  delete(subjectId: string): Promise<void>;
  /** Keys ordered by `subjectId`, strictly after `afterSubjectId` (`null`: from the start). */
  list(afterSubjectId: string | null, limit: number): Promise<StoredDataKey[]>;
  /** Optional: how many keys exist, for progress reporting. */
  count?(): Promise<number>;
}

/** Where a field ciphertext belongs. Bound into the ciphertext as additional authenticated data. */
export type EncryptionContext = {
  subjectId: string;
  field: string;
};
