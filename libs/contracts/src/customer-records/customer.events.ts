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

/** Version 2 adds the encrypted sensitive fields. */
export const customerRegisteredV2 = customerRegisteredV1.extend({ sensitive: customerSensitiveFieldsSchema });
export type CustomerRegisteredDataV2 = z.infer<typeof customerRegisteredV2>;

/** v1 → v2: a version 1 registration carried no sensitive field. */
export const upcastCustomerRegisteredV1 = (data: Record<string, unknown>): Record<string, unknown> => ({
  ...data,
  sensitive: {},
});

/**
 * Version 3 takes name and company out of the log in clear: they are encrypted with the customer's
 * data key (`sensitive.name`, `sensitive.company`), so crypto-shredding makes them unreadable too.
 */
export const customerRegisteredV3 = customerRegisteredV1
  .omit({ name: true, company: true })
  .extend({
    sensitive: customerSensitiveFieldsSchema.extend({ name: encryptedField, company: encryptedField.optional() }),
  });
/** A registration as the service writes it today (schema version 3). */
export type NewCustomerRegisteredData = z.infer<typeof customerRegisteredV3>;

/** Every field a customer's events may carry encrypted: the four sensitive fields, name and company. */
export type CustomerSensitiveFields = z.infer<typeof customerSensitiveFieldsSchema> & {
  name?: { ciphertext: string };
  company?: { ciphertext: string };
};

/**
 * A registration as readers receive it (any stored version, upcast to 3). A registration written
 * before version 3 keeps its name and company in clear at the top level, where they were
 * (`legacyName`/`legacyCompany` would have been a rename without benefit): the log is append-only,
 * so those old clear values cannot be removed, and erasure cannot reach them (see docs). A version
 * 3 registration never has them (its schema refuses them) and carries `sensitive.name` instead.
 */
export type CustomerRegisteredData = Omit<NewCustomerRegisteredData, 'sensitive'> & {
  sensitive: CustomerSensitiveFields;
  /** Only on registrations written before version 3: the name in clear. */
  name?: string;
  /** Only on registrations written before version 3: the company in clear. */
  company?: string | null;
};

/** v2 → v3: the data is kept as it is; the clear name and company stay at the top level (see above). */
export const upcastCustomerRegisteredV2 = (data: Record<string, unknown>): Record<string, unknown> => ({ ...data });

const nullableIndexed = indexedField.nullable().optional();
const nullableEncrypted = encryptedField.nullable().optional();

/**
 * Only the fields that changed. A sensitive field is its new ciphertext (and blind index), `null`
 * when it was cleared; name and company are encrypted like the sensitive fields.
 */
export const customerUpdatedV1 = z
  .strictObject({
    customerId: z.uuid(),
    tags: customerRegisteredV1.shape.tags.optional(),
    classification: classificationSchema.optional(),
    ownerId: customerRegisteredV1.shape.ownerId.optional(),
    teamId: customerRegisteredV1.shape.teamId.optional(),
    sensitive: z
      .strictObject({
        name: encryptedField.optional(),
        company: nullableEncrypted,
        mobile: nullableIndexed,
        email: nullableIndexed,
        nationalId: nullableIndexed,
        address: nullableEncrypted,
      })
      .optional(),
  })
  .refine(
    ({ customerId: _id, sensitive, ...plain }) =>
      Object.keys(plain).length > 0 || Object.keys(sensitive ?? {}).length > 0,
    'must change at least one field',
  );
export type CustomerUpdatedData = z.infer<typeof customerUpdatedV1>;

/** Archived customers stay readable but are hidden from lists by default and take no updates. */
export const customerArchivedV1 = z.strictObject({
  customerId: z.uuid(),
  reason: z.string().min(1).max(500).nullable(),
});
export type CustomerArchivedData = z.infer<typeof customerArchivedV1>;

/** A communication note: its body encrypted with the customer's data key; the author is the event's actor. */
export const customerNoteAddedV1 = z.strictObject({
  customerId: z.uuid(),
  noteId: z.uuid(),
  body: encryptedField,
});
export type CustomerNoteAddedData = z.infer<typeof customerNoteAddedV1>;

/** A decimal amount as a string (no binary floating point): up to 15 integer and 4 fraction digits. */
export const decimalAmountSchema = z
  .string()
  .regex(/^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$/, 'must be a decimal number as a string, e.g. "1234.50"');
/** An ISO 4217 alphabetic currency code (the shape; the service checks the code list). */
export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');

export const customerTransactionRecordedV1 = z.strictObject({
  customerId: z.uuid(),
  transactionId: z.uuid(),
  amount: decimalAmountSchema,
  currency: currencyCodeSchema,
  /** The day of the transaction (ISO 8601 date). */
  date: z.iso.date(),
  product: z.string().min(1).max(200),
});
export type CustomerTransactionRecordedData = z.infer<typeof customerTransactionRecordedV1>;

/** What a consent is for (`marketing`, `data-sharing.partners`, …). */
export const consentPurposeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'must be a purpose key (lower-case letters, digits, . _ -)');
/**
 * Consent given or withdrawn (PIPL): for which purpose, under which consent-template version; who
 * recorded it and when are the event's actor and time.
 */
export const consentChangedV1 = z.strictObject({
  customerId: z.uuid(),
  purpose: consentPurposeSchema,
  templateVersion: z.string().min(1).max(50),
});
export type ConsentChangedData = z.infer<typeof consentChangedV1>;

/** The customer's owner changed through an ownership transfer (`transferId`). */
export const customerOwnerChangedV1 = z.strictObject({
  customerId: z.uuid(),
  fromOwnerId: z.string().min(1).max(200).nullable(),
  toOwnerId: z.string().min(1).max(200),
  transferId: z.uuid().nullable(),
  reason: z.string().min(1).max(500),
});
export type CustomerOwnerChangedData = z.infer<typeof customerOwnerChangedV1>;

/**
 * The customer was shared with a user outside its owner's team (a partner, typically), who sees
 * it as their role allows (`sharedWithMe`: masked by default). Who shared it is the event's actor.
 */
export const customerSharedV1 = z.strictObject({
  customerId: z.uuid(),
  userId: z.string().min(1).max(200),
  reason: z.string().min(1).max(500),
});
export type CustomerSharedData = z.infer<typeof customerSharedV1>;

/** A share ended: the user no longer sees the customer through it. */
export const customerUnsharedV1 = z.strictObject({
  customerId: z.uuid(),
  userId: z.string().min(1).max(200),
  reason: z.string().min(1).max(500).nullable(),
});
export type CustomerUnsharedData = z.infer<typeof customerUnsharedV1>;

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
  | { type: 'CustomerUpdated'; data: CustomerUpdatedData }
  | { type: 'CustomerArchived'; data: CustomerArchivedData }
  | { type: 'CustomerNoteAdded'; data: CustomerNoteAddedData }
  | { type: 'CustomerTransactionRecorded'; data: CustomerTransactionRecordedData }
  | { type: 'ConsentGranted'; data: ConsentChangedData }
  | { type: 'ConsentWithdrawn'; data: ConsentChangedData }
  | { type: 'CustomerOwnerChanged'; data: CustomerOwnerChangedData }
  | { type: 'CustomerShared'; data: CustomerSharedData }
  | { type: 'CustomerUnshared'; data: CustomerUnsharedData }
  | { type: 'CustomerErased'; data: CustomerErasedData };

const userIdSchema = z.string().min(1).max(200);

/** Ownership transfer (offboarding hand-over): on stream `transfer-<transferId>`. */
export const customersTransferRequestedV1 = z.strictObject({
  transferId: z.uuid(),
  fromUserId: userIdSchema,
  toUserId: userIdSchema.nullable(),
  toPoolUserIds: z.array(userIdSchema).min(1).max(500).nullable(),
  reason: z.string().min(1).max(500),
});
export type CustomersTransferRequestedData = z.infer<typeof customersTransferRequestedV1>;

/** One batch done: `done` customers transferred so far, of `total` known when the batch ran. */
export const customersTransferProgressedV1 = z.strictObject({
  transferId: z.uuid(),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
});
export type CustomersTransferProgressedData = z.infer<typeof customersTransferProgressedV1>;

/** The summary: every customer of `fromUserId` now belongs to `toUserId` or the pool. */
export const customersTransferredV1 = z.strictObject({
  transferId: z.uuid(),
  fromUserId: userIdSchema,
  toUserId: userIdSchema.nullable(),
  toPoolUserIds: z.array(userIdSchema).min(1).max(500).nullable(),
  count: z.number().int().min(0),
});
export type CustomersTransferredData = z.infer<typeof customersTransferredV1>;

export type CustomersTransferEvent =
  | { type: 'CustomersTransferRequested'; data: CustomersTransferRequestedData }
  | { type: 'CustomersTransferProgressed'; data: CustomersTransferProgressedData }
  | { type: 'CustomersTransferred'; data: CustomersTransferredData };

export const transferStreamId = (transferId: string): string => `transfer-${transferId}`;

export const customerEventSpecs: EventSpec[] = [
  {
    type: 'CustomerRegistered',
    versions: { 1: customerRegisteredV1, 2: customerRegisteredV2, 3: customerRegisteredV3 },
    upcast: { 1: upcastCustomerRegisteredV1, 2: upcastCustomerRegisteredV2 },
  },
  { type: 'CustomerUpdated', versions: { 1: customerUpdatedV1 } },
  { type: 'CustomerArchived', versions: { 1: customerArchivedV1 } },
  { type: 'CustomerNoteAdded', versions: { 1: customerNoteAddedV1 } },
  { type: 'CustomerTransactionRecorded', versions: { 1: customerTransactionRecordedV1 } },
  { type: 'ConsentGranted', versions: { 1: consentChangedV1 } },
  { type: 'ConsentWithdrawn', versions: { 1: consentChangedV1 } },
  { type: 'CustomerOwnerChanged', versions: { 1: customerOwnerChangedV1 } },
  { type: 'CustomerShared', versions: { 1: customerSharedV1 } },
  { type: 'CustomerUnshared', versions: { 1: customerUnsharedV1 } },
  { type: 'CustomerErased', versions: { 1: customerErasedV1 } },
  { type: 'CustomersTransferRequested', versions: { 1: customersTransferRequestedV1 } },
  { type: 'CustomersTransferProgressed', versions: { 1: customersTransferProgressedV1 } },
  { type: 'CustomersTransferred', versions: { 1: customersTransferredV1 } },
];
