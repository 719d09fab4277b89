import type { FieldCipher } from '@warden/crypto';
import { createPolicy, maskValue, type FieldLevel, type Policy } from '@warden/security';
import { maskSensitive, type SensitiveCiphertexts } from './customer-sensitive.util';
import type { CustomerFields, CustomerView, SensitiveInput } from './customer.dto';

/** A customer's plain (not encrypted) attributes, as the read model holds them. */
export type CustomerRecord = Omit<CustomerFields, keyof SensitiveInput>;

/** What the policy's record conditions read: owner, team, classification, shares. */
export type CustomerPolicyResource = {
  ownerId: string | null;
  teamId: string | null;
  classification: string;
  sharedWith: string[];
};

const SENSITIVE = ['mobile', 'email', 'nationalId', 'address'] as const satisfies ReadonlyArray<
  keyof SensitiveInput
>;

/** Every field of a customer view, in the order of the response. */
export const CUSTOMER_VIEW_FIELDS = [
  'id',
  'name',
  'company',
  'tags',
  'classification',
  'ownerId',
  'teamId',
  ...SENSITIVE,
  'status',
  'version',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof CustomerFields>;
export type CustomerViewField = (typeof CUSTOMER_VIEW_FIELDS)[number];

/** The level of each view field for this caller on this customer. */
export function customerFieldLevels(
  policy: Policy,
  resource: CustomerPolicyResource,
): Record<CustomerViewField, FieldLevel> {
  return policy.fieldLevels('read', 'Customer', CUSTOMER_VIEW_FIELDS, resource);
}

/** The sensitive fields of a customer (encrypted at rest, revealable). */
export const SENSITIVE_CUSTOMER_VIEW_FIELDS: readonly SensitiveViewField[] = SENSITIVE;
export type SensitiveViewField = (typeof SENSITIVE)[number];
export const isSensitiveField = (field: string): field is SensitiveViewField =>
  (SENSITIVE as readonly string[]).includes(field);

const roleOnly = new WeakMap<Policy, Policy>();

/**
 * The policy without its grants' rules (a grant's rules are the ones that expire): what the
 * user's roles alone give. The same policy when it holds no grant rule.
 */
export function rolePolicyOf(policy: Policy): Policy {
  const held = roleOnly.get(policy);
  if (held) return held;
  const rules = policy.activeRulesFor('read', 'Customer');
  const withoutGrants = rules.filter((rule) => rule.expiresAt === undefined || rule.inverted);
  const result =
    withoutGrants.length === rules.length
      ? policy
      : createPolicy({ userId: policy.userId, policyVersion: policy.policyVersion, validUntil: null, rules: withoutGrants.reverse() });
  roleOnly.set(policy, result);
  return result;
}

/**
 * The level each field is shown at in a response (`GET /v1/customers/:id`, lists):
 *
 * - the policy's level (`customerFieldLevels`), except that
 * - a sensitive field at `clear` only thanks to a grant — the user's roles alone give it
 *   `masked` or `none` — is shown `masked` unless the request reveals it (`reveal=<field>` with a
 *   reason, which records `SensitiveFieldRevealed`). Fields the roles themselves give in clear
 *   (e.g. a staff owner's mobile and e-mail) stay in clear, as before reveal existed;
 * - `version` is always shown (it is the `If-Match` value, not customer data).
 *
 * `reveal` names fields the caller asked to reveal; each must be at `clear` (checked by the caller
 * with `unrevealable`).
 */
export function displayedFieldLevels(
  policy: Policy,
  resource: CustomerPolicyResource,
  reveal: ReadonlySet<string> = new Set(),
): Record<CustomerViewField, FieldLevel> {
  const levels = customerFieldLevels(policy, resource);
  const rolePolicy = rolePolicyOf(policy);
  const byRoles = rolePolicy === policy ? levels : customerFieldLevels(rolePolicy, resource);
  for (const field of SENSITIVE) {
    if (levels[field] === 'clear' && byRoles[field] !== 'clear' && !reveal.has(field)) levels[field] = 'masked';
  }
  if (levels.id !== 'none') levels.version = 'clear';
  return levels;
}

/** The fields of `reveal` the caller may not see in clear on this customer (reveal needs `clear`). */
export function unrevealable(
  policy: Policy,
  resource: CustomerPolicyResource,
  reveal: Iterable<string>,
): string[] {
  const levels = customerFieldLevels(policy, resource);
  return [...reveal].filter((field) => !isSensitiveField(field) || levels[field] !== 'clear');
}

/** The fields a view shows in clear and masked (for read audit events), from the levels it was built with. */
export function shownFields(
  view: CustomerView,
  levels: Readonly<Record<CustomerViewField, FieldLevel>>,
): { fieldsInClear: string[]; fieldsMasked: string[] } {
  const fieldsInClear: string[] = [];
  const fieldsMasked: string[] = [];
  for (const field of CUSTOMER_VIEW_FIELDS) {
    if (!Object.hasOwn(view, field)) continue;
    if (levels[field] === 'clear') fieldsInClear.push(field);
    else if (levels[field] === 'masked') fieldsMasked.push(field);
  }
  return { fieldsInClear, fieldsMasked };
}

/**
 * The customer as the caller may see it, field by field: `clear` shows the value (a sensitive one
 * decrypted), `masked` its masked form (a sensitive one decrypted, then masked), `none` leaves the
 * field out; a sensitive field at `none` is never decrypted. A sensitive field that was not given
 * is `null` at `clear` or `masked`.
 */
export async function levelledCustomerView(
  record: CustomerRecord,
  ciphertexts: SensitiveCiphertexts,
  levels: Readonly<Record<CustomerViewField, FieldLevel>>,
  cipher: FieldCipher,
): Promise<CustomerView> {
  const clearValues = new Map<SensitiveViewField, string>();
  for (const field of SENSITIVE) {
    const token = ciphertexts[field];
    if (token && (levels[field] === 'clear' || levels[field] === 'masked')) {
      clearValues.set(field, await cipher.decrypt(record.id, field, token));
    }
  }
  return levelledCustomerViewSync(record, ciphertexts, levels, (field) => clearValues.get(field) as string);
}

/**
 * The stored masked form of each sensitive field (`maskSensitive` of its plaintext, kept by the
 * read model next to the ciphertext); null or absent: not known, the reader decrypts and masks.
 */
export type SensitiveMaskedForms = Partial<Record<SensitiveViewField, string | null>>;

/**
 * `levelledCustomerView` with a synchronous `decrypt(field, token)` (e.g. `SubjectKeys.decrypt`
 * bound to the customer, for a page whose keys were loaded at once): one pass over the view
 * fields, in the order of the response, no intermediate objects. A sensitive field at `masked`
 * with a stored masked form (`maskedForms`) shows it without decrypting anything.
 */
export function levelledCustomerViewSync(
  record: CustomerRecord,
  ciphertexts: SensitiveCiphertexts,
  levels: Readonly<Record<CustomerViewField, FieldLevel>>,
  decrypt: (field: SensitiveViewField, token: string) => string,
  maskedForms: SensitiveMaskedForms = {},
): CustomerView {
  const view: Record<string, unknown> = {};
  for (const field of CUSTOMER_VIEW_FIELDS) {
    const level = Object.hasOwn(levels, field) ? levels[field] : 'none';
    if (level !== 'clear' && level !== 'masked') continue;
    if (isSensitiveField(field)) {
      // A stored masked form implies a stored value (both are cleared together).
      const stored = level === 'masked' ? maskedForms[field] : null;
      if (stored !== null && stored !== undefined) {
        view[field] = stored;
        continue;
      }
      const token = ciphertexts[field];
      if (!token) {
        view[field] = null;
        continue;
      }
      const value = decrypt(field, token);
      view[field] = level === 'clear' ? value : maskSensitive[field](value);
      continue;
    }
    if (!Object.hasOwn(record, field)) continue;
    const value = record[field as keyof CustomerRecord];
    view[field] = level === 'clear' || value === null || value === undefined ? value : maskValue(field, value);
  }
  return view as CustomerView;
}
