import type { FieldCipher } from '@warden/crypto';
import { applyFieldLevels, type FieldLevel, type Policy } from '@warden/security';
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
  const shown: Record<string, unknown> = applyFieldLevels(record, levels);
  for (const field of SENSITIVE) {
    const level = levels[field];
    if (level !== 'clear' && level !== 'masked') continue;
    const token = ciphertexts[field];
    if (!token) {
      shown[field] = null;
      continue;
    }
    const value = await cipher.decrypt(record.id, field, token);
    shown[field] = level === 'clear' ? value : maskSensitive[field](value);
  }
  // In the order of the response; fromEntries keeps a field named like a prototype key as data.
  const view = Object.fromEntries(
    CUSTOMER_VIEW_FIELDS.filter((field) => Object.hasOwn(shown, field)).map((field) => [field, shown[field]]),
  ) as CustomerView;
  return view;
}
