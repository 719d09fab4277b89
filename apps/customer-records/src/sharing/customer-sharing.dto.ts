import { z } from 'zod';

/** A user id as authorization issues it (the `sub` of their tokens). */
const userIdSchema = z.string().trim().min(1, 'must not be empty').max(200);

/** `POST /v1/customers/:id/shares`: with whom, and why (kept in the audit trail). */
export const shareCustomerBody = z.strictObject({
  userId: userIdSchema,
  reason: z.string().trim().min(1, 'must say why the customer is shared').max(500),
});
export type ShareCustomerBody = z.infer<typeof shareCustomerBody>;

/** `DELETE /v1/customers/:id/shares/:userId` takes an optional reason. */
export const unshareCustomerBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional() })
  .optional()
  .default({});
export type UnshareCustomerBody = z.infer<typeof unshareCustomerBody>;

export const shareUserIdParam = userIdSchema;

/** The users a customer is shared with, in the order shared, and the customer's version after the change. */
export type CustomerShares = { customerId: string; sharedWith: string[]; version: number };
