import { WardenError } from '@warden/contracts';

/**
 * A ciphertext or wrapped key failed to decrypt: tampered, moved to another subject or field, or
 * encrypted under another key. The message never contains plaintext, ciphertext or key material.
 */
export class DecryptionError extends WardenError {
  readonly code = 'DECRYPTION_FAILED';
  readonly status = 500;
  constructor(what = 'field') {
    super(`${what} could not be decrypted`);
  }
}

/** The subject's data key was deleted (crypto-shredded), so its encrypted fields are gone. */
export class SubjectShreddedError extends WardenError {
  readonly code = 'SUBJECT_ERASED';
  readonly status = 410;
  constructor(readonly subjectId: string) {
    super(`subject ${subjectId} has been erased`);
  }
}

/** A value to index was unusable (empty once normalised). Names the kind, never the value. */
export class InvalidIndexValueError extends WardenError {
  readonly code = 'INVALID_INDEX_VALUE';
  readonly status = 400;
  constructor(
    readonly kind: string,
    reason: string,
  ) {
    super(`${kind} cannot be indexed: ${reason}`);
  }
}

/** The keyring or key file is malformed. Names the problem and the entry, never key material. */
export class KeyringError extends WardenError {
  readonly code = 'INVALID_KEYRING';
  readonly status = 500;
}

/** A wrapped key names a KEK version that this keyring does not hold. */
export class KeyUnavailableError extends WardenError {
  readonly code = 'KEK_UNAVAILABLE';
  readonly status = 500;
  constructor(readonly kekVersion: number) {
    super(`key-encryption key version ${kekVersion} is not in the keyring`);
  }
}

/** A programming error: a key of the wrong length, or an unusable encryption context. */
export class CryptoUsageError extends WardenError {
  readonly code = 'CRYPTO_USAGE';
  readonly status = 500;
}
