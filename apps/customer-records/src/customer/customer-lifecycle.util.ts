import type { CustomerSensitiveFields, CustomerUpdatedData } from '@warden/contracts';
import type { BlindIndexer, FieldCipher } from '@warden/crypto';
import { UnauthenticatedError, type FieldLevel, type Policy, type PolicyClient, type Principal } from '@warden/security';
import type { Request } from 'express';
import { INDEX_KIND } from './customer-sensitive.util';
import type { CustomerPolicyResource } from './customer-view.util';

/** Every field the events carry encrypted; name and company since registration v3. */
export const ENCRYPTED_FIELDS = ['name', 'company', 'mobile', 'email', 'nationalId', 'address'] as const;
export type EncryptedField = (typeof ENCRYPTED_FIELDS)[number];
export type EncryptedValues = Partial<Record<EncryptedField, string | null>>;

/** Name and company encrypted under the customer's data key (only ciphertexts reach the events). */
export async function protectNames(
  customerId: string,
  names: { name: string; company: string | null },
  cipher: FieldCipher,
): Promise<Required<Pick<CustomerSensitiveFields, 'name'>> & Pick<CustomerSensitiveFields, 'company'>> {
  const name = { ciphertext: await cipher.encrypt(customerId, 'name', names.name) };
  if (names.company === null) return { name };
  return { name, company: { ciphertext: await cipher.encrypt(customerId, 'company', names.company) } };
}

/**
 * The `sensitive` part of a `CustomerUpdated`: each field whose new value differs from the current
 * one (clear values, compared as given), encrypted and, for mobile, email and national ID,
 * blind-indexed again; `null` for a field that is cleared. Unchanged fields are left out.
 */
export async function protectChanges(
  customerId: string,
  next: EncryptedValues,
  current: EncryptedValues,
  cipher: FieldCipher,
  indexer: BlindIndexer,
): Promise<NonNullable<CustomerUpdatedData['sensitive']>> {
  const changes: Record<string, unknown> = {};
  for (const field of ENCRYPTED_FIELDS) {
    const value = next[field];
    if (value === undefined || value === (current[field] ?? null)) continue;
    if (value === null) {
      changes[field] = null;
      continue;
    }
    const ciphertext = await cipher.encrypt(customerId, field, value);
    changes[field] =
      field === 'mobile' || field === 'email' || field === 'nationalId'
        ? { ciphertext, index: indexer.index(INDEX_KIND[field], value) }
        : { ciphertext };
  }
  return changes as NonNullable<CustomerUpdatedData['sensitive']>;
}

const RANK: Record<FieldLevel, number> = { none: 0, masked: 1, clear: 2 };
const BY_RANK: readonly FieldLevel[] = ['none', 'masked', 'clear'];

/**
 * The caller's level for note bodies (`notes`) on this customer. The shared policy core does not
 * list `notes` among the sensitive customer fields (which are `none` unless a rule names them), so
 * an unnamed `notes` would be `clear` for every reader of the customer. Until it does, the level
 * is capped by the caller's best level over the contact fields (mobile, email): staff on their own
 * customers read notes in clear, supervisors and partners masked, auditors and security officers
 * not at all — the defaults for sensitive fields. A rule that names `notes` still lowers it.
 */
export function noteLevel(policy: Policy, resource: CustomerPolicyResource): FieldLevel {
  const levels = policy.fieldLevels('read', 'Customer', ['notes', 'mobile', 'email'] as const, resource);
  const cap = Math.max(RANK[levels.mobile], RANK[levels.email]);
  return BY_RANK[Math.min(RANK[levels.notes], cap)];
}

const BEARER = /^Bearer (\S+)$/;

/** The caller's policy, fetched with their own token (the guard has verified it). */
export function callerPolicy(policies: PolicyClient, req: Request, principal: Principal): Promise<Policy> {
  const match = BEARER.exec(req.header('authorization') ?? '');
  if (!match) throw new UnauthenticatedError();
  return policies.abilityFor(principal, match[1]);
}
