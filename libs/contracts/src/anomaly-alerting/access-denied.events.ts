import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * A request refused for lack of permission (403, or a record outside the caller's view answered as
 * 404). Every service that enforces policy should append one to the caller's access stream
 * (`access-<userId>`), so it reaches `warden.access.v1` (`Topics.access`); the anomaly-alerting
 * service counts them (`access-denied-burst`). It names the action and subject tried, never the
 * request's values.
 */
export const ACCESS_DENIAL_REASONS = ['forbidden', 'outside_view', 'role_required', 'field_denied'] as const;

export const accessDeniedV1 = z.strictObject({
  userId: z.string().min(1).max(200),
  /** The policy action tried (`read`, `export`, `update`, …). */
  action: z.string().regex(/^[A-Za-z][A-Za-z-]{0,49}$/),
  /** The policy subject (`Customer`, `Export`, …). */
  subject: z.string().regex(/^[A-Za-z][A-Za-z-]{0,49}$/),
  /** The record, when one was named (an id, never a search value). */
  resourceId: z.string().max(200).nullable(),
  reason: z.enum(ACCESS_DENIAL_REASONS),
});
export type AccessDeniedData = z.infer<typeof accessDeniedV1>;

export type AccessDeniedEvent = { type: 'AccessDenied'; data: AccessDeniedData };

export const accessDeniedEventSpecs: EventSpec[] = [{ type: 'AccessDenied', versions: { 1: accessDeniedV1 } }];
