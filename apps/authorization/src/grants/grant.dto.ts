import { grantStatusSchema } from '@warden/contracts';
import { z } from 'zod';
import { permissionsBody } from '../policy/policy.dto';

export const requestGrantBody = z.strictObject({
  userId: z.uuid(),
  permissions: permissionsBody.min(1, 'must name at least one permission'),
  reason: z.string().trim().min(1, 'must not be empty').max(500),
  /** Checked by the decider: in the future, at most 90 days ahead. */
  expiresAt: z.iso.datetime({ offset: true }),
});
export type RequestGrantBody = z.infer<typeof requestGrantBody>;

export const grantDecisionBody = z.strictObject({ comment: z.string().trim().max(500).optional() }).default({});
export type GrantDecisionBody = z.infer<typeof grantDecisionBody>;

export const listGrantsQuery = z.strictObject({
  userId: z.uuid().optional(),
  status: grantStatusSchema.optional(),
});
export type ListGrantsQuery = z.infer<typeof listGrantsQuery>;

export const grantIdParam = z.uuid({ message: 'must be a grant id (UUID)' });

export type GrantView = {
  id: string;
  userId: string;
  /**
   * Who the grant is for, by name, in lists: what an approver must see to decide (a supervisor may
   * not read the user directory). Null when the user is unknown here, and on a single grant.
   */
  grantee: { username: string; displayName: string } | null;
  permissions: unknown[];
  reason: string;
  status: string;
  expiresAt: string;
  requestedBy: string;
  decidedBy: string | null;
  comment: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
};
