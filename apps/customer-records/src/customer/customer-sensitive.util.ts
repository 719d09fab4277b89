import type { CustomerSensitiveFields } from '@warden/contracts';
import {
  type BlindIndexer,
  type FieldCipher,
  type IndexKind,
  InvalidIndexValueError,
  normaliseIndexValue,
} from '@warden/crypto';
import { maskAddress, maskEmail, maskMobile, maskNationalId } from '@warden/security';
import type { SearchField, SensitiveInput } from './customer.dto';

/** The blind index kind of each searchable field. */
export const INDEX_KIND: Record<SearchField, IndexKind> = {
  mobile: 'phone',
  email: 'email',
  nationalId: 'nationalId',
};

/** The stored ciphertext token of each sensitive field (null or absent: not given). */
export type SensitiveCiphertexts = Partial<Record<keyof SensitiveInput, string | null>>;

/**
 * Encrypts each given sensitive field under the customer's data key (field name bound into the
 * ciphertext) and computes the blind indexes of the searchable ones.
 */
export async function protectSensitive(
  customerId: string,
  input: SensitiveInput,
  cipher: FieldCipher,
  indexer: BlindIndexer,
): Promise<CustomerSensitiveFields> {
  const sensitive: CustomerSensitiveFields = {};
  for (const field of ['mobile', 'email', 'nationalId'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    sensitive[field] = {
      ciphertext: await cipher.encrypt(customerId, field, value),
      index: indexer.index(INDEX_KIND[field], value),
    };
  }
  if (input.address !== undefined) {
    sensitive.address = { ciphertext: await cipher.encrypt(customerId, 'address', input.address) };
  }
  return sensitive;
}

/** The blind index of a search value; an unusable value is `INVALID_INDEX_VALUE` naming the field. */
export function searchIndex(indexer: BlindIndexer, field: SearchField, value: string): string {
  if (field === 'email' && !/^[^\s@]+@[^\s@]+$/.test(value.trim())) {
    throw new InvalidIndexValueError(field, 'not an e-mail address');
  }
  try {
    return indexer.index(INDEX_KIND[field], value);
  } catch (error) {
    if (error instanceof InvalidIndexValueError) {
      throw new InvalidIndexValueError(field, error.message.replace(/^.*cannot be indexed: /, ''));
    }
    throw error;
  }
}

/** The masked display form of each sensitive field (a field at the `masked` level). */
export const maskSensitive = {
  mobile: (value: string): string => {
    let normalised = value;
    try {
      normalised = normaliseIndexValue('phone', value);
    } catch {
      // keep the stored form; maskMobile copes with anything
    }
    return maskMobile(normalised);
  },
  email: maskEmail,
  nationalId: maskNationalId,
  address: maskAddress,
} satisfies Record<keyof SensitiveInput, (value: string) => string>;
