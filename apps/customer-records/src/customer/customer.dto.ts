import { classificationSchema, customerFilterSchema, erasureLegalBasisSchema } from '@warden/contracts';
import { normaliseIndexValue } from '@warden/crypto';
import type { FieldLevelled } from '@warden/security';
import { z } from 'zod';

const normalisable = (kind: 'phone' | 'nationalId') => (value: string) => {
  try {
    normaliseIndexValue(kind, value);
    return true;
  } catch {
    return false;
  }
};

/** Sensitive inputs: encrypted before they reach an event or a table. */
export const mobileSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(32)
  .refine(normalisable('phone'), 'must be a phone number (digits, an optional leading +, spaces, - . ( ))')
  .refine((value) => value.replace(/\D/g, '').length >= 5, 'must have at least 5 digits');
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be an e-mail address' }));
export const nationalIdSchema = z
  .string()
  .trim()
  .min(4, 'must have at least 4 characters')
  .max(32)
  .regex(/^[0-9A-Za-z ]+$/, 'must hold only letters, digits and spaces')
  .refine(normalisable('nationalId'), 'must not be empty');
export const addressSchema = z.string().trim().min(1, 'must not be empty').max(500);

export const registerCustomerBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  company: z.string().trim().max(200).nullable().default(null),
  tags: z.array(z.string().trim().min(1).max(50)).max(50).default([]),
  classification: classificationSchema.default('internal'),
  ownerId: z.string().min(1).max(200).nullable().default(null),
  teamId: z.string().min(1).max(200).nullable().default(null),
  mobile: mobileSchema.optional(),
  email: emailSchema.optional(),
  nationalId: nationalIdSchema.optional(),
  address: addressSchema.optional(),
});
export type RegisterCustomerBody = z.infer<typeof registerCustomerBody>;

/** The sensitive fields of a registration, in clear (only between the controller and the cipher). */
export type SensitiveInput = Pick<RegisterCustomerBody, 'mobile' | 'email' | 'nationalId' | 'address'>;

export const customerIdParam = z.uuid({ message: 'must be a customer id (UUID)' });

/** `DELETE /v1/customers/:id`: why the customer's personal data is erased. */
export const eraseCustomerBody = z.strictObject({
  legalBasis: erasureLegalBasisSchema,
  reason: z.string().trim().min(1, 'must not be empty').max(500),
});
export type EraseCustomerBody = z.infer<typeof eraseCustomerBody>;

export const SEARCH_FIELDS = ['mobile', 'email', 'nationalId'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** A paging cursor: the last id of the previous page (base64url), checked to be a customer id. */
const cursorSchema = z
  .string()
  .max(100)
  .transform((value, ctx) => {
    const id = Buffer.from(value, 'base64url').toString('utf8');
    if (!customerIdParam.safeParse(id).success) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
    return id;
  });

/** A query parameter given once (`a,b`) or repeated (`tags=a&tags=b`): the list of its values. */
const commaList = z
  .union([z.string().max(1100), z.array(z.string().max(1100)).max(20)])
  .transform((value) =>
    (Array.isArray(value) ? value : [value])
      .flatMap((part) => part.split(','))
      .map((tag) => tag.trim())
      .filter((tag) => tag.length > 0),
  );

/**
 * `GET /v1/customers?q=&tags=a,b&ownerId=&teamId=&classification=&status=&mobile=&email=&nationalId=&limit=&cursor=`:
 * the shared customer filter (`customerFilterSchema`) as query parameters, plus paging.
 */
export const listCustomersQuery = z
  .strictObject({
    q: z.string().optional(),
    tags: commaList.optional(),
    ownerId: z.string().optional(),
    teamId: z.string().optional(),
    classification: z.string().optional(),
    status: z.string().optional(),
    mobile: z.string().optional(),
    email: z.string().optional(),
    nationalId: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: cursorSchema.optional(),
  })
  .transform(({ limit, cursor, ...filter }, ctx) => {
    const parsed = customerFilterSchema.safeParse(filter);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: issue.path.slice(0, 1), message: issue.message });
      }
      return z.NEVER;
    }
    return { filter: parsed.data, limit, cursor };
  });
export type ListCustomersQuery = z.infer<typeof listCustomersQuery>;

/** `GET /v1/customers/:id?reveal=nationalId,mobile&reason=…`: reveal needs a reason. */
export const getCustomerQuery = z
  .strictObject({
    reveal: commaList
      .pipe(z.array(z.string().regex(/^[a-zA-Z]{1,50}$/, 'must name customer fields')).min(1, 'must name at least one field').max(4))
      .optional(),
    reason: z.string().trim().min(1, 'must not be empty').max(500).optional(),
  })
  .superRefine((query, ctx) => {
    if (query.reveal !== undefined && query.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required to reveal a field' });
    }
    if (query.reveal === undefined && query.reason !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['reveal'], message: 'is required with a reason' });
    }
  });
export type GetCustomerQuery = z.infer<typeof getCustomerQuery>;

export const encodeCursor = (customerId: string): string =>
  Buffer.from(customerId, 'utf8').toString('base64url');

/** Every field of a customer, in clear: never returned as such (see `CustomerView`). */
export type CustomerFields = {
  id: string;
  name: string;
  company: string | null;
  tags: string[];
  classification: string;
  ownerId: string | null;
  teamId: string | null;
  /** Sensitive fields: null when not given. */
  mobile: string | null;
  email: string | null;
  nationalId: string | null;
  address: string | null;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

/**
 * A customer as the caller sees it: each field at the caller's level from the policy — the value
 * (`clear`), its masked form (`masked`), or absent (`none`).
 */
export type CustomerView = FieldLevelled<CustomerFields>;

export type CustomerPage = { items: CustomerView[]; nextCursor: string | null };
