import { z } from 'zod';
import type { EventSpec } from '../lib/registry';
import { roleNameSchema } from './authorization.events';

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

/**
 * SCIM groups (stream `scim-group-<groupId>`). A group whose displayName is a Warden role name
 * grants that role to its members (`role`); other groups grant nothing (`role: null`). The events
 * carry ids and role names only: never a group's display name (which may say more than it should).
 */
const groupRole = roleNameSchema.nullable();
/** Member ids per event at most (a larger change is split into several events). */
export const MAX_GROUP_MEMBERS_PER_EVENT = 500;
const memberIds = z.array(z.uuid()).min(1).max(MAX_GROUP_MEMBERS_PER_EVENT);

export const scimGroupCreatedV1 = z.strictObject({ groupId: z.uuid(), role: groupRole });
export type ScimGroupCreatedData = z.infer<typeof scimGroupCreatedV1>;

/** The group was renamed so that it maps to another role (or to none, or to one from none): every remaining member's role follows. */
export const scimGroupRoleChangedV1 = z.strictObject({ groupId: z.uuid(), from: groupRole, to: groupRole });
export type ScimGroupRoleChangedData = z.infer<typeof scimGroupRoleChangedV1>;

/** Users joined the group (and gained `role`, if any). */
export const scimGroupMembersAddedV1 = z.strictObject({ groupId: z.uuid(), role: groupRole, userIds: memberIds });
export type ScimGroupMembersAddedData = z.infer<typeof scimGroupMembersAddedV1>;

/** Users left the group (and lost `role` unless another group or an admin still grants it). */
export const scimGroupMembersRemovedV1 = z.strictObject({ groupId: z.uuid(), role: groupRole, userIds: memberIds });
export type ScimGroupMembersRemovedData = z.infer<typeof scimGroupMembersRemovedV1>;

/** The group was deleted (its members were removed first, each recorded by ScimGroupMembersRemoved). */
export const scimGroupDeletedV1 = z.strictObject({ groupId: z.uuid(), role: groupRole });
export type ScimGroupDeletedData = z.infer<typeof scimGroupDeletedV1>;

export type ScimGroupEvent =
  | { type: 'ScimGroupCreated'; data: ScimGroupCreatedData }
  | { type: 'ScimGroupRoleChanged'; data: ScimGroupRoleChangedData }
  | { type: 'ScimGroupMembersAdded'; data: ScimGroupMembersAddedData }
  | { type: 'ScimGroupMembersRemoved'; data: ScimGroupMembersRemovedData }
  | { type: 'ScimGroupDeleted'; data: ScimGroupDeletedData };

export const scimEventSpecs: EventSpec[] = [
  { type: 'UserDeprovisioned', versions: { 1: userDeprovisionedV1 } },
  { type: 'UserReprovisioned', versions: { 1: userReprovisionedV1 } },
  { type: 'ScimGroupCreated', versions: { 1: scimGroupCreatedV1 } },
  { type: 'ScimGroupRoleChanged', versions: { 1: scimGroupRoleChangedV1 } },
  { type: 'ScimGroupMembersAdded', versions: { 1: scimGroupMembersAddedV1 } },
  { type: 'ScimGroupMembersRemoved', versions: { 1: scimGroupMembersRemovedV1 } },
  { type: 'ScimGroupDeleted', versions: { 1: scimGroupDeletedV1 } },
];
