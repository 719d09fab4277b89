import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of the authorization service. None carries a password, a hash of one, a token, a
 * refresh token or a TOTP secret; e-mail addresses travel masked only (`g***@example.com`).
 */

/**
 * A role is referred to by its name: the defaults (admin, security_officer, supervisor, staff, hr,
 * auditor, partner) and any custom role the service knows. Which names exist is the service's
 * business; the contract fixes their shape only.
 */
export const roleNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{1,49}$/,
    'must be a role name (a-z, 0-9, _; 2–50 characters, starting with a letter)',
  );
export type RoleName = z.infer<typeof roleNameSchema>;
/** At most this many roles per user. */
export const MAX_USER_ROLES = 20;

export const CLEARANCES = ['public', 'internal', 'confidential', 'restricted'] as const;
export const clearanceSchema = z.enum(CLEARANCES);
export type Clearance = z.infer<typeof clearanceSchema>;

/**
 * `departing`: leaving, still working (sessions kept); `disabled`: no access, may be re-enabled;
 * `offboarded`: final. Transitions: active ↔ departing, active/departing → disabled,
 * disabled → active, any → offboarded.
 */
export const USER_STATUSES = ['active', 'disabled', 'departing', 'offboarded'] as const;
export const userStatusSchema = z.enum(USER_STATUSES);
export type UserStatus = z.infer<typeof userStatusSchema>;

/** A masked e-mail address: at most its first character, then `***@domain`. Never the clear address. */
export const maskedEmailSchema = z
  .string()
  .max(320)
  .regex(/^[^@\s*]?\*\*\*@[^@\s]+$/, 'must be a masked e-mail address');

const id = z.string().min(1).max(200);
const username = z.string().min(1).max(100);

export const userCreatedV1 = z.strictObject({
  userId: z.uuid(),
  username,
  displayName: z.string().min(1).max(200),
  email: maskedEmailSchema,
  roles: z.array(roleNameSchema).max(MAX_USER_ROLES),
  teamId: id.nullable(),
  managerId: id.nullable(),
  clearance: clearanceSchema,
  status: userStatusSchema,
});
export type UserCreatedData = z.infer<typeof userCreatedV1>;

/** Only the fields that changed are present. */
export const userUpdatedV1 = z.strictObject({
  userId: z.uuid(),
  /** A rename (admin, or SCIM `userName` through PUT/PATCH). */
  username: username.optional(),
  displayName: z.string().min(1).max(200).optional(),
  email: maskedEmailSchema.optional(),
  roles: z.array(roleNameSchema).max(MAX_USER_ROLES).optional(),
  teamId: id.nullable().optional(),
  managerId: id.nullable().optional(),
  clearance: clearanceSchema.optional(),
});
export type UserUpdatedData = z.infer<typeof userUpdatedV1>;

export const userStatusChangedV1 = z.strictObject({
  userId: z.uuid(),
  from: userStatusSchema,
  to: userStatusSchema,
  reason: z.string().max(500).nullable(),
});
export type UserStatusChangedData = z.infer<typeof userStatusChangedV1>;

export const userDisabledV1 = z.strictObject({
  userId: z.uuid(),
  reason: z.string().max(500).nullable(),
});
export type UserDisabledData = z.infer<typeof userDisabledV1>;

export const passwordChangedV1 = z.strictObject({ userId: z.uuid() });
export type PasswordChangedData = z.infer<typeof passwordChangedV1>;

/** The user confirmed a TOTP authenticator; from now on login needs its code. The secret is never in an event. */
export const mfaEnabledV1 = z.strictObject({ userId: z.uuid() });
export type MfaEnabledData = z.infer<typeof mfaEnabledV1>;

/** A second factor presented at login was wrong or already used (a LoginFailed of the same attempt accompanies it). */
export const MFA_METHODS = ['totp', 'recovery_code'] as const;
export const mfaChallengeFailedV1 = z.strictObject({ userId: z.uuid(), method: z.enum(MFA_METHODS) });
export type MfaChallengeFailedData = z.infer<typeof mfaChallengeFailedV1>;

/** A new set of single-use recovery codes was issued (the previous set, if any, is void). The codes are never in an event. */
export const mfaRecoveryCodesGeneratedV1 = z.strictObject({
  userId: z.uuid(),
  count: z.number().int().min(1).max(100),
});
export type MfaRecoveryCodesGeneratedData = z.infer<typeof mfaRecoveryCodesGeneratedV1>;

/** A recovery code stood in for a TOTP code at login and is spent; `remaining` are still unused. */
export const mfaRecoveryCodeUsedV1 = z.strictObject({
  userId: z.uuid(),
  remaining: z.number().int().min(0).max(100),
});
export type MfaRecoveryCodeUsedData = z.infer<typeof mfaRecoveryCodeUsedV1>;

export const teamCreatedV1 = z.strictObject({
  teamId: z.uuid(),
  name: z.string().min(1).max(200),
  parentId: z.uuid().nullable(),
  supervisorId: z.uuid().nullable(),
});
export type TeamCreatedData = z.infer<typeof teamCreatedV1>;

export const geoSchema = z.strictObject({
  country: z.string().max(10).nullable(),
  city: z.string().max(200).nullable(),
  /** The autonomous system of the address (absent in events recorded before it was added). */
  asn: z.number().int().min(0).max(4294967295).nullable().optional(),
  /** Its organisation's name (RouteViews / DB-IP data). */
  asnOrg: z.string().max(300).nullable().optional(),
});

export const loginSucceededV1 = z.strictObject({
  userId: z.uuid(),
  sessionId: z.uuid(),
  mfa: z.boolean(),
  geo: geoSchema.nullable(),
});
export type LoginSucceededData = z.infer<typeof loginSucceededV1>;

export const LOGIN_FAILURE_REASONS = [
  'bad_credentials',
  'locked',
  'disabled',
  'mfa_required',
  'rate_limited',
] as const;
export const loginFailedV1 = z.strictObject({
  /** The user, when the name belongs to one. */
  userId: z.uuid().nullable(),
  /** SHA-256 (hex) of the lower-cased user name: correlates attempts without storing what was typed. */
  usernameHash: z.string().regex(/^[0-9a-f]{64}$/),
  reason: z.enum(LOGIN_FAILURE_REASONS),
  /** Where the attempt came from (absent in events recorded before it was added; null for private addresses). */
  geo: geoSchema.nullable().optional(),
});
export type LoginFailedData = z.infer<typeof loginFailedV1>;

export const sessionRevokedV1 = z.strictObject({
  userId: z.uuid(),
  /** `null`: every session of the user. */
  sessionId: z.uuid().nullable(),
  reason: z.string().min(1).max(200),
});
export type SessionRevokedData = z.infer<typeof sessionRevokedV1>;

export const tokenRefreshedV1 = z.strictObject({ userId: z.uuid(), sessionId: z.uuid() });
export type TokenRefreshedData = z.infer<typeof tokenRefreshedV1>;

export const refreshTokenReuseDetectedV1 = z.strictObject({ userId: z.uuid(), sessionId: z.uuid() });
export type RefreshTokenReuseDetectedData = z.infer<typeof refreshTokenReuseDetectedV1>;

/**
 * A permission as stored in role and grant events: the shape of the policy core's `Permission`
 * (libs/security). The vocabulary of actions and subjects is the policy's; the service validates
 * against it before deciding, the contract bounds the shape (contracts import nothing of ours).
 */
const policyWord = z.string().regex(/^[A-Za-z][A-Za-z-]{0,49}$/);
export const permissionSchema = z.strictObject({
  action: z.union([policyWord, z.array(policyWord).min(1).max(20)]),
  subject: policyWord,
  conditions: z
    .strictObject({
      owner: z.literal('me').optional(),
      team: z.literal('mine').optional(),
      classification: z.literal('within-clearance').optional(),
      sharedWithMe: z.literal(true).optional(),
    })
    .optional(),
  fields: z
    .record(z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9_]{0,63})$/), z.enum(['none', 'masked', 'clear']))
    .optional(),
  deny: z.boolean().optional(),
});
export type PermissionData = z.infer<typeof permissionSchema>;
export const MAX_PERMISSIONS = 100;
const permissions = z.array(permissionSchema).max(MAX_PERMISSIONS);

export const roleDefinedV1 = z.strictObject({
  name: roleNameSchema,
  description: z.string().max(500),
  permissions,
  mfaRequired: z.boolean(),
  /** One of the product's defaults, seeded at boot. */
  builtIn: z.boolean(),
});
export type RoleDefinedData = z.infer<typeof roleDefinedV1>;

/** The whole new definition (a role is small; consumers need no previous state). */
export const roleUpdatedV1 = z.strictObject({
  name: roleNameSchema,
  description: z.string().max(500),
  permissions,
  mfaRequired: z.boolean(),
});
export type RoleUpdatedData = z.infer<typeof roleUpdatedV1>;

export const GRANT_STATUSES = ['pending', 'active', 'rejected', 'revoked', 'expired'] as const;
export const grantStatusSchema = z.enum(GRANT_STATUSES);
export type GrantStatusName = z.infer<typeof grantStatusSchema>;

export const grantRequestedV1 = z.strictObject({
  grantId: z.uuid(),
  /** The grantee. */
  userId: z.uuid(),
  permissions: permissions.min(1),
  reason: z.string().min(1).max(500),
  expiresAt: z.iso.datetime(),
  /** Who asked (the grantee, or an admin on their behalf). */
  requestedBy: z.string().min(1).max(200),
});
export type GrantRequestedData = z.infer<typeof grantRequestedV1>;

const grantDecision = z.strictObject({
  grantId: z.uuid(),
  userId: z.uuid(),
  /** The approver, rejecter or revoker. */
  by: z.string().min(1).max(200),
  comment: z.string().max(500).nullable(),
});
export const grantApprovedV1 = grantDecision;
export type GrantApprovedData = z.infer<typeof grantApprovedV1>;
export const grantRejectedV1 = grantDecision;
export type GrantRejectedData = z.infer<typeof grantRejectedV1>;
export const grantRevokedV1 = grantDecision;
export type GrantRevokedData = z.infer<typeof grantRevokedV1>;

/** Recorded by the expiry sweeper; enforcement never waited for it (grants expire by time). */
export const grantExpiredV1 = z.strictObject({
  grantId: z.uuid(),
  userId: z.uuid(),
  expiresAt: z.iso.datetime(),
});
export type GrantExpiredData = z.infer<typeof grantExpiredV1>;

/**
 * A service (a configured client of `POST /v1/auth/service-token`) received an access token as the
 * principal `system:<clientId>`. Neither the secret nor the token is ever in an event.
 */
export const SERVICE_CLIENT_ID_PATTERN = /^[a-z][a-z0-9-]{1,49}$/;
export const serviceClientIdSchema = z.string().regex(SERVICE_CLIENT_ID_PATTERN, 'must be a service client id (a-z, 0-9, -)');
export const serviceTokenIssuedV1 = z.strictObject({
  clientId: serviceClientIdSchema,
  /** The token's `sid`: revocable like a user's session. */
  sessionId: z.uuid(),
  expiresAt: z.iso.datetime(),
});
export type ServiceTokenIssuedData = z.infer<typeof serviceTokenIssuedV1>;

export const SERVICE_TOKEN_REFUSAL_REASONS = ['bad_credentials', 'locked', 'rate_limited'] as const;
/** A service-token request was refused. `clientId` only when it names a configured client (never what was typed otherwise). */
export const serviceTokenRefusedV1 = z.strictObject({
  clientId: serviceClientIdSchema.nullable(),
  reason: z.enum(SERVICE_TOKEN_REFUSAL_REASONS),
});
export type ServiceTokenRefusedData = z.infer<typeof serviceTokenRefusedV1>;

/** The user is leaving on `effectiveAt` (status `departing`: they still work until frozen or offboarded). */
export const userMarkedDepartingV1 = z.strictObject({
  userId: z.uuid(),
  effectiveAt: z.iso.datetime(),
});
export type UserMarkedDepartingData = z.infer<typeof userMarkedDepartingV1>;

/**
 * The user is no longer leaving (the offboarding case was cancelled before it took effect): the
 * departing date is cleared; a `departing` user is `active` again (its own UserStatusChanged comes
 * first), a disabled user stays disabled. `effectiveAt` is the date that was cancelled.
 */
export const userDepartureCancelledV1 = z.strictObject({
  userId: z.uuid(),
  effectiveAt: z.iso.datetime().nullable(),
  reason: z.string().min(1).max(500),
});
export type UserDepartureCancelledData = z.infer<typeof userDepartureCancelledV1>;

/**
 * The user was frozen (offboarding): status `offboarded`, every session and refresh token revoked,
 * every active grant revoked (each also has its own SessionRevoked / GrantRevoked / UserStatusChanged).
 */
export const userFrozenV1 = z.strictObject({
  userId: z.uuid(),
  reason: z.string().min(1).max(500),
  sessionsRevoked: z.number().int().min(0),
  grantsRevoked: z.number().int().min(0),
});
export type UserFrozenData = z.infer<typeof userFrozenV1>;

/** From the user's next login on, a second factor is required (enrolment first if they have none). */
export const userMfaRequiredV1 = z.strictObject({
  userId: z.uuid(),
  reason: z.string().min(1).max(500).nullable(),
});
export type UserMfaRequiredData = z.infer<typeof userMfaRequiredV1>;

export const RESTRICTED_ACTIONS = ['export'] as const;
/** A time-bound explicit deny of `action` for the user (an automated response or a security officer's). */
export const userRestrictionImposedV1 = z.strictObject({
  restrictionId: z.uuid(),
  userId: z.uuid(),
  action: z.enum(RESTRICTED_ACTIONS),
  until: z.iso.datetime(),
  reason: z.string().min(1).max(500),
});
export type UserRestrictionImposedData = z.infer<typeof userRestrictionImposedV1>;

export const userRestrictionLiftedV1 = z.strictObject({
  restrictionId: z.uuid(),
  userId: z.uuid(),
});
export type UserRestrictionLiftedData = z.infer<typeof userRestrictionLiftedV1>;

/**
 * A signed-in user proved a fresh TOTP code and received a step-up proof (a 5-minute JWT for the
 * audience `warden-step-up`, bound to `sessionId`). Neither the code nor the proof is ever in an event.
 */
export const stepUpSucceededV1 = z.strictObject({
  userId: z.uuid(),
  sessionId: z.uuid(),
  expiresAt: z.iso.datetime(),
});
export type StepUpSucceededData = z.infer<typeof stepUpSucceededV1>;

/** `bad_code`: wrong or reused TOTP code (counts toward the lockout); `locked`: the name is locked; `mfa_not_enrolled`: no authenticator. */
export const STEP_UP_FAILURE_REASONS = ['bad_code', 'locked', 'mfa_not_enrolled'] as const;
export const stepUpFailedV1 = z.strictObject({
  userId: z.uuid(),
  sessionId: z.uuid(),
  reason: z.enum(STEP_UP_FAILURE_REASONS),
});
export type StepUpFailedData = z.infer<typeof stepUpFailedV1>;

/** Step-up attempts: one `step-up-<id>` stream per attempt (attempts never contend). */
export type StepUpEvent =
  | { type: 'StepUpSucceeded'; data: StepUpSucceededData }
  | { type: 'StepUpFailed'; data: StepUpFailedData };

export type UserEvent =
  | { type: 'UserCreated'; data: UserCreatedData }
  | { type: 'UserUpdated'; data: UserUpdatedData }
  | { type: 'UserStatusChanged'; data: UserStatusChangedData }
  | { type: 'UserDisabled'; data: UserDisabledData }
  | { type: 'PasswordChanged'; data: PasswordChangedData }
  | { type: 'MfaEnabled'; data: MfaEnabledData }
  | { type: 'UserMarkedDeparting'; data: UserMarkedDepartingData }
  | { type: 'UserDepartureCancelled'; data: UserDepartureCancelledData }
  | { type: 'UserFrozen'; data: UserFrozenData }
  | { type: 'UserMfaRequired'; data: UserMfaRequiredData }
  | { type: 'UserRestrictionImposed'; data: UserRestrictionImposedData }
  | { type: 'UserRestrictionLifted'; data: UserRestrictionLiftedData };

/** Issuance of service tokens: one `service-token-<sid>` stream per token, `service-token-refusal-<id>` per refusal. */
export type ServiceTokenEvent =
  | { type: 'ServiceTokenIssued'; data: ServiceTokenIssuedData }
  | { type: 'ServiceTokenRefused'; data: ServiceTokenRefusedData };

/** Second-factor events: `mfa-<userId>` streams, and MfaChallengeFailed on the login attempt's stream. */
export type MfaEvent =
  | { type: 'MfaChallengeFailed'; data: MfaChallengeFailedData }
  | { type: 'MfaRecoveryCodesGenerated'; data: MfaRecoveryCodesGeneratedData }
  | { type: 'MfaRecoveryCodeUsed'; data: MfaRecoveryCodeUsedData };

export type TeamEvent = { type: 'TeamCreated'; data: TeamCreatedData };

export type RoleEvent =
  { type: 'RoleDefined'; data: RoleDefinedData } | { type: 'RoleUpdated'; data: RoleUpdatedData };

export type GrantEvent =
  | { type: 'GrantRequested'; data: GrantRequestedData }
  | { type: 'GrantApproved'; data: GrantApprovedData }
  | { type: 'GrantRejected'; data: GrantRejectedData }
  | { type: 'GrantRevoked'; data: GrantRevokedData }
  | { type: 'GrantExpired'; data: GrantExpiredData };

export type SessionEvent =
  | { type: 'LoginSucceeded'; data: LoginSucceededData }
  | { type: 'LoginFailed'; data: LoginFailedData }
  | { type: 'SessionRevoked'; data: SessionRevokedData }
  | { type: 'TokenRefreshed'; data: TokenRefreshedData }
  | { type: 'RefreshTokenReuseDetected'; data: RefreshTokenReuseDetectedData };

export const authorizationEventSpecs: EventSpec[] = [
  { type: 'UserCreated', versions: { 1: userCreatedV1 } },
  { type: 'UserUpdated', versions: { 1: userUpdatedV1 } },
  { type: 'UserStatusChanged', versions: { 1: userStatusChangedV1 } },
  { type: 'UserDisabled', versions: { 1: userDisabledV1 } },
  { type: 'PasswordChanged', versions: { 1: passwordChangedV1 } },
  { type: 'MfaEnabled', versions: { 1: mfaEnabledV1 } },
  { type: 'MfaChallengeFailed', versions: { 1: mfaChallengeFailedV1 } },
  { type: 'MfaRecoveryCodesGenerated', versions: { 1: mfaRecoveryCodesGeneratedV1 } },
  { type: 'MfaRecoveryCodeUsed', versions: { 1: mfaRecoveryCodeUsedV1 } },
  { type: 'TeamCreated', versions: { 1: teamCreatedV1 } },
  { type: 'RoleDefined', versions: { 1: roleDefinedV1 } },
  { type: 'RoleUpdated', versions: { 1: roleUpdatedV1 } },
  { type: 'GrantRequested', versions: { 1: grantRequestedV1 } },
  { type: 'GrantApproved', versions: { 1: grantApprovedV1 } },
  { type: 'GrantRejected', versions: { 1: grantRejectedV1 } },
  { type: 'GrantRevoked', versions: { 1: grantRevokedV1 } },
  { type: 'GrantExpired', versions: { 1: grantExpiredV1 } },
  { type: 'LoginSucceeded', versions: { 1: loginSucceededV1 } },
  { type: 'LoginFailed', versions: { 1: loginFailedV1 } },
  { type: 'SessionRevoked', versions: { 1: sessionRevokedV1 } },
  { type: 'TokenRefreshed', versions: { 1: tokenRefreshedV1 } },
  { type: 'RefreshTokenReuseDetected', versions: { 1: refreshTokenReuseDetectedV1 } },
  { type: 'ServiceTokenIssued', versions: { 1: serviceTokenIssuedV1 } },
  { type: 'ServiceTokenRefused', versions: { 1: serviceTokenRefusedV1 } },
  { type: 'UserMarkedDeparting', versions: { 1: userMarkedDepartingV1 } },
  { type: 'UserDepartureCancelled', versions: { 1: userDepartureCancelledV1 } },
  { type: 'UserFrozen', versions: { 1: userFrozenV1 } },
  { type: 'UserMfaRequired', versions: { 1: userMfaRequiredV1 } },
  { type: 'UserRestrictionImposed', versions: { 1: userRestrictionImposedV1 } },
  { type: 'UserRestrictionLifted', versions: { 1: userRestrictionLiftedV1 } },
  { type: 'StepUpSucceeded', versions: { 1: stepUpSucceededV1 } },
  { type: 'StepUpFailed', versions: { 1: stepUpFailedV1 } },
];
