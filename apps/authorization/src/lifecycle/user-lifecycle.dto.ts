import { z } from 'zod';

export const markDepartingBody = z.strictObject({
  /** When the user leaves (ISO-8601 instant, with offset). */
  effectiveAt: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant, e.g. 2030-03-31T17:00:00Z' }),
});
export type MarkDepartingBody = z.infer<typeof markDepartingBody>;

/** Why the departure is called off (e.g. `offboarding:<caseId> cancelled`); recorded on the event. */
export const cancelDepartureBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export type CancelDepartureBody = z.infer<typeof cancelDepartureBody>;

export type DepartureView = { status: string; departingEffectiveAt: string | null };

export const freezeBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export type FreezeBody = z.infer<typeof freezeBody>;

export const requireMfaBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).default({});
export type RequireMfaBody = z.infer<typeof requireMfaBody>;

export const revokeAllBody = z.strictObject({ reason: z.string().trim().min(1).max(200).optional() }).default({});
export type RevokeAllBody = z.infer<typeof revokeAllBody>;

export const imposeRestrictionBody = z.strictObject({
  action: z.literal('export', { message: "must be 'export'" }),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant' }),
  reason: z.string().trim().min(1).max(500),
});
export type ImposeRestrictionBody = z.infer<typeof imposeRestrictionBody>;

export const restrictionIdParam = z.uuid({ message: 'must be a restriction id (UUID)' });

export type FreezeResponse = { sessionsRevoked: number; grantsRevoked: number; alreadyFrozen: boolean };
export type RestrictionView = { restrictionId: string; userId: string; action: string; until: string; reason: string; status: string };
