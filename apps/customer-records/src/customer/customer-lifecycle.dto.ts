import { classificationSchema } from '@warden/contracts';
import { RequestValidationError } from '@warden/platform';
import { z } from 'zod';
import { addressSchema, emailSchema, mobileSchema, nationalIdSchema } from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';

/**
 * `PATCH /v1/customers/:id`: only the fields to change; `null` clears an optional field. Unknown
 * fields are refused.
 */
export const updateCustomerBody = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    company: z.string().trim().max(200).nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
    classification: classificationSchema.optional(),
    ownerId: z.string().min(1).max(200).nullable().optional(),
    teamId: z.string().min(1).max(200).nullable().optional(),
    mobile: mobileSchema.nullable().optional(),
    email: emailSchema.nullable().optional(),
    nationalId: nationalIdSchema.nullable().optional(),
    address: addressSchema.nullable().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'give at least one field to change');
export type UpdateCustomerBody = z.infer<typeof updateCustomerBody>;

/** `POST /v1/customers/:id/archive`. */
export const archiveCustomerBody = z
  .strictObject({ reason: z.string().trim().min(1, 'must not be empty').max(500).nullable().default(null) })
  .default({ reason: null });
export type ArchiveCustomerBody = z.infer<typeof archiveCustomerBody>;

const IF_MATCH = /^(?:W\/)?"(\d{1,9})"$/;

/**
 * The stream version an `If-Match` header names (`"<version>"`, as the `ETag` of a read or write).
 * Missing: 428 PRECONDITION_REQUIRED; anything else but one quoted version: 400 naming the header.
 */
export function parseIfMatch(header: string | undefined): number {
  if (header === undefined || header.trim() === '') {
    throw new CustomerError(
      CustomerErrorCode.VersionRequired,
      'If-Match is required: send the ETag ("<version>") of the customer you read',
    );
  }
  const match = IF_MATCH.exec(header.trim());
  if (!match) throw new RequestValidationError(['header.if-match: must be one quoted version, e.g. "3"']);
  return Number(match[1]);
}

/** The `ETag` of a customer at `version`. */
export const etagOf = (version: number): string => `"${version}"`;
