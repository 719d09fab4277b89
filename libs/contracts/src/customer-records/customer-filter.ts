import { z } from 'zod';
import { classificationSchema } from './customer.events';

/**
 * The customer filter, shared by `GET /v1/customers` (as query parameters: `tags` comma-separated)
 * and by every service that selects customers through customer-records, such as exports (as this
 * JSON object). Every condition given must hold (AND); the caller's ability is always applied on
 * top. Unknown keys are refused.
 *
 * - `q`: case-insensitive substring of the name or the company.
 * - `tags`: the customer has every one of these tags.
 * - `ownerId`, `teamId`, `classification`: equal.
 * - `status`: `active` (the default when absent) or `archived`; erased customers are never listed.
 * - `mobile`, `email`, `nationalId`: exact match through the blind index (normalised first, so
 *   `+86 138-0013-8000` finds `13800138000`).
 */
export const CUSTOMER_STATUS_FILTERS = ['active', 'archived'] as const;
export type CustomerStatusFilter = (typeof CUSTOMER_STATUS_FILTERS)[number];

export const customerFilterSchema = z.strictObject({
  q: z.string().trim().min(1, 'must not be empty').max(100).optional(),
  tags: z.array(z.string().trim().min(1, 'must not be empty').max(50)).min(1).max(20).optional(),
  ownerId: z.string().min(1).max(200).optional(),
  teamId: z.string().min(1).max(200).optional(),
  classification: classificationSchema.optional(),
  status: z.enum(CUSTOMER_STATUS_FILTERS).optional(),
  mobile: z.string().max(64).optional(),
  email: z.string().max(254).optional(),
  nationalId: z.string().max(64).optional(),
});
export type CustomerFilter = z.infer<typeof customerFilterSchema>;

/** Every filter key, in a fixed order (the order of `filterKeys` in access events). */
export const CUSTOMER_FILTER_KEYS = [
  'q',
  'tags',
  'ownerId',
  'teamId',
  'classification',
  'status',
  'mobile',
  'email',
  'nationalId',
] as const satisfies ReadonlyArray<keyof CustomerFilter>;

/** The keys a filter uses (never their values), for read audit events. */
export const customerFilterKeys = (filter: CustomerFilter): string[] =>
  CUSTOMER_FILTER_KEYS.filter((key) => filter[key] !== undefined);

/** Whether a filter searches (anything but `status`): a list page is then `CustomersSearched`. */
export const isCustomerSearch = (filter: CustomerFilter): boolean =>
  CUSTOMER_FILTER_KEYS.some((key) => key !== 'status' && filter[key] !== undefined);
