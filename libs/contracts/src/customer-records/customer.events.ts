import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

export const CUSTOMER_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export const classificationSchema = z.enum(CUSTOMER_CLASSIFICATIONS);
export type Classification = z.infer<typeof classificationSchema>;

export const customerRegisteredV1 = z.strictObject({
  customerId: z.uuid(),
  name: z.string().min(1).max(200),
  company: z.string().max(200).nullable(),
  tags: z.array(z.string().min(1).max(50)).max(50),
  classification: classificationSchema,
  ownerId: z.string().max(200).nullable(),
  teamId: z.string().max(200).nullable(),
});
export type CustomerRegisteredDataV1 = z.infer<typeof customerRegisteredV1>;

/** A field ciphertext token of `@warden/crypto` (`v1.<iv>.<ciphertext+tag>`, base64url parts). */
export const fieldCiphertextSchema = z
  .string()
  .max(4096)
  .regex(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a field ciphertext (v1.<iv>.<ciphertext>)');
/** A blind index: HMAC-SHA256 as 64 lower-case hex characters. */
export const blindIndexSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a blind index (64 hex characters)');

const indexedField = z.strictObject({ ciphertext: fieldCiphertextSchema, index: blindIndexSchema });
const encryptedField = z.strictObject({ ciphertext: fieldCiphertextSchema });

/** The sensitive fields of a customer: only ciphertexts and blind indexes, never plaintext. */
export const customerSensitiveFieldsSchema = z.strictObject({
  mobile: indexedField.optional(),
  email: indexedField.optional(),
  nationalId: indexedField.optional(),
  address: encryptedField.optional(),
});
export type CustomerSensitiveFields = z.infer<typeof customerSensitiveFieldsSchema>;

/** Version 2 adds the encrypted sensitive fields. */
export const customerRegisteredV2 = customerRegisteredV1.extend({ sensitive: customerSensitiveFieldsSchema });
export type CustomerRegisteredData = z.infer<typeof customerRegisteredV2>;

/** v1 → v2: a version 1 registration carried no sensitive field. */
export const upcastCustomerRegisteredV1 = (data: Record<string, unknown>): Record<string, unknown> => ({
  ...data,
  sensitive: {},
});

/** The legal grounds on which a customer's personal data is erased. */
export const ERASURE_LEGAL_BASES = ['subject-request', 'retention-expired', 'legal-obligation'] as const;
export const erasureLegalBasisSchema = z.enum(ERASURE_LEGAL_BASES);
export type ErasureLegalBasis = z.infer<typeof erasureLegalBasisSchema>;

/**
 * A customer's personal data was erased (PIPL/GDPR): the read model keeps only what audit needs
 * and the customer's data key is crypto-shredded, so the ciphertexts of every earlier event can no
 * longer be decrypted. `reason` is an operator's free text kept in the log for good: it must not
 * carry the customer's personal data.
 */
export const customerErasedV1 = z.strictObject({
  customerId: z.uuid(),
  legalBasis: erasureLegalBasisSchema,
  reason: z.string().min(1).max(500),
});
export type CustomerErasedData = z.infer<typeof customerErasedV1>;

export type CustomerEvent =
  | { type: 'CustomerRegistered'; data: CustomerRegisteredData }
  | { type: 'CustomerErased'; data: CustomerErasedData };

export const customerEventSpecs: EventSpec[] = [
  {
    type: 'CustomerRegistered',
    versions: { 1: customerRegisteredV1, 2: customerRegisteredV2 },
    upcast: { 1: upcastCustomerRegisteredV1 },
  },
  { type: 'CustomerErased', versions: { 1: customerErasedV1 } },
];
