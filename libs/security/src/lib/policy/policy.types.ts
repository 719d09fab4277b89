import type { Classification } from '@warden/contracts';

/**
 * The vocabulary of Warden's authorization model (docs: ARCHITECTURE.md, "Authorization model").
 * Everything here is plain data: role definitions and grants are stored, compiled rules are cached
 * in Redis as JSON, and the evaluator is rebuilt from them in each service.
 */

export const ACTIONS = [
  'read',
  'create',
  'update',
  'delete',
  'export',
  'approve-export',
  'reveal',
  'view-audit',
  'manage-users',
  'manage-roles',
  'approve-grant',
  'offboard',
  /** Any action (CASL's `anyAction`). */
  'manage',
] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'Customer',
  'Export',
  'Alert',
  'AuditLog',
  'User',
  'Team',
  'Role',
  'Grant',
  'Offboarding',
  /** Any subject (CASL's `anySubjectType`). */
  'all',
] as const;
export type Subject = (typeof SUBJECTS)[number];

/** How much of a field a principal sees: in clear, masked, or not at all. */
export const FIELD_LEVELS = ['none', 'masked', 'clear'] as const;
export type FieldLevel = (typeof FIELD_LEVELS)[number];

/**
 * Record conditions, written relative to the principal; `compileAbility` resolves them to values.
 * Several keys in one spec must all hold.
 */
export type ConditionSpec = {
  /** The resource's `ownerId` is the principal. */
  owner?: 'me';
  /** The resource's `teamId` is one of the principal's teams (their own and, for supervisors, every sub-team). */
  team?: 'mine';
  /** The resource's `classification` is at or below the principal's clearance. */
  classification?: 'within-clearance';
  /** The resource's `sharedWith` list contains the principal. */
  sharedWithMe?: true;
};

/**
 * `fields` maps a field to its level. A field missing from the map is `clear` when it is not
 * sensitive (see `SENSITIVE_FIELDS`) and `none` when it is; the key `'*'` sets the level of every
 * unlisted NON-sensitive field (a sensitive field is only ever exposed by naming it).
 *
 * A `deny` permission without `fields` forbids the action on the resources it matches and wins
 * over every allowing permission. A `deny` permission with `fields` does not forbid the action: it
 * caps the listed fields (`'*'`: every field) at the given level.
 */
export type Permission = {
  action: Action | Action[];
  subject: Subject;
  conditions?: ConditionSpec;
  fields?: Record<string, FieldLevel>;
  deny?: boolean;
};

export type RoleDefinition = {
  name: string;
  description: string;
  permissions: Permission[];
  mfaRequired: boolean;
};

export type GrantStatus = 'active' | 'pending' | 'rejected' | 'revoked' | 'expired';

/** Temporary extra permissions for one user. `startsAt`/`expiresAt` are ISO-8601 instants. */
export type Grant = {
  id: string;
  userId: string;
  permissions: Permission[];
  status: GrantStatus;
  startsAt?: string;
  expiresAt: string;
};

export type PolicyUserStatus = 'active' | 'disabled' | 'departing' | 'offboarded';

export type PolicySubjectUser = {
  userId: string;
  roles: string[];
  /** The user's own team plus, for supervisors, every sub-team: resolved by the caller. */
  teamIds: string[];
  clearance: Classification;
  status: PolicyUserStatus;
};

/** Conditions with the principal resolved in: what a resource must satisfy, as plain data. */
export type CompiledConditions = {
  ownerId?: string;
  teamId?: { in: string[] };
  classification?: { in: Classification[] };
  sharedWith?: { contains: string };
};

export type CompiledRule = {
  action: Action[];
  subject: Subject;
  /** `true` for a deny rule. */
  inverted: boolean;
  conditions?: CompiledConditions;
  fields?: Record<string, FieldLevel>;
  /** Where the rule comes from: a role name or a grant id (for explanations and audit). */
  source: { kind: 'role' | 'grant'; id: string };
  /** For a grant's rule: the instant (ISO-8601) from which it no longer applies. */
  expiresAt?: string;
};

/** A user's effective rules: JSON-serialisable, cached per policy version. */
export type CompiledAbility = {
  userId: string;
  policyVersion?: number;
  rules: CompiledRule[];
  /** The earliest expiry among the grants used, or `null` when no grant was used. */
  validUntil: string | null;
};

/**
 * A resource as the policy sees it: any object; the attributes conditions read are `ownerId`,
 * `teamId`, `classification` and `sharedWith` (an array of user ids).
 */
export type PolicyResource = object;
