import type { PermissionData } from '@warden/contracts';

/** `now` is the command's instant (from its metadata): the decider reads no clock. */
export type RequestGrant = {
  type: 'RequestGrant';
  data: { grantId: string; userId: string; permissions: PermissionData[]; reason: string; expiresAt: string; requestedBy: string; now: string };
};

/** `by` has already been found to hold the approval scope over the grantee (or is the grantee: refused). */
export type ApproveGrant = { type: 'ApproveGrant'; data: { grantId: string; by: string; comment: string | null; now: string } };

export type RejectGrant = { type: 'RejectGrant'; data: { grantId: string; by: string; comment: string | null } };

export type RevokeGrant = { type: 'RevokeGrant'; data: { grantId: string; by: string; comment: string | null } };

export type ExpireGrant = { type: 'ExpireGrant'; data: { grantId: string; now: string } };

export type GrantCommand = RequestGrant | ApproveGrant | RejectGrant | RevokeGrant | ExpireGrant;
