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

export type CustomerEvent = { type: 'CustomerRegistered'; data: CustomerRegisteredData };

export const customerEventSpecs: EventSpec[] = [
  {
    type: 'CustomerRegistered',
    versions: { 1: customerRegisteredV1, 2: customerRegisteredV2 },
    upcast: { 1: upcastCustomerRegisteredV1 },
  },
];
