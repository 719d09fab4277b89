import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of SCIM provisioning in the authorization service (stream `scim-user-<userId>`). They
 * carry ids only: no user name, e-mail address or token.
 */

export const DEPROVISION_REASONS = ['inactive', 'deleted'] as const;

/**
 * An identity provider deprovisioned a user through SCIM: set `active: false` (`inactive`) or
 * deleted the resource (`deleted`). The user is already disabled and their sessions revoked when
 * this is appended; the offboarding service acts on it.
 */
export const userDeprovisionedV1 = z.strictObject({
  userId: z.uuid(),
  source: z.literal('scim'),
  reason: z.enum(DEPROVISION_REASONS),
});
export type UserDeprovisionedData = z.infer<typeof userDeprovisionedV1>;

/** The identity provider set `active: true` again on a deprovisioned (not deleted) user. */
export const userReprovisionedV1 = z.strictObject({
  userId: z.uuid(),
  source: z.literal('scim'),
});
export type UserReprovisionedData = z.infer<typeof userReprovisionedV1>;

export type ScimEvent =
  | { type: 'UserDeprovisioned'; data: UserDeprovisionedData }
  | { type: 'UserReprovisioned'; data: UserReprovisionedData };

export const scimEventSpecs: EventSpec[] = [
  { type: 'UserDeprovisioned', versions: { 1: userDeprovisionedV1 } },
  { type: 'UserReprovisioned', versions: { 1: userReprovisionedV1 } },
];
