import type { KeyObject } from 'node:crypto';
import { SubjectShreddedError } from './crypto.errors';
import { contextAad, decryptField } from './field-encryption';

/**
 * The unwrapped data keys of a set of subjects, loaded together for one request or one page of
 * rows (`FieldCipher.keysFor`): one store query and one unwrap per subject, then synchronous
 * decryption of every field of those subjects. Hold it only for that request or page, then
 * `release()` it; the keys are `KeyObject`s, freed (cleared by OpenSSL) when collected.
 */
export class SubjectKeys {
  constructor(private readonly keys: Map<string, KeyObject>) {}

  /** Whether the subject had a data key when the keys were loaded. */
  has(subjectId: string): boolean {
    return this.keys.has(subjectId);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Decrypts one field; `SubjectShreddedError` when the subject had no data key. */
  decrypt(subjectId: string, field: string, token: string): string {
    contextAad({ subjectId, field });
    const key = this.keys.get(subjectId);
    if (!key) throw new SubjectShreddedError(subjectId);
    return decryptField(key, token, { subjectId, field });
  }

  /** Forgets every key (call when the request or page is done). */
  release(): void {
    this.keys.clear();
  }
}
