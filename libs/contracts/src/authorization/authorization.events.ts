import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of the authorization service. None carries a password, a hash of one, a token, a
 * refresh token or a TOTP secret; e-mail addresses travel masked only (`g***@example.com`).
 */

export const USER_ROLES = ['admin', 'security_officer', 'supervisor', 'staff', 'hr', 'partner'] as const;
export const userRoleSchema = z.enum(USER_ROLES);
export type UserRole = z.infer<typeof userRoleSchema>;

export const CLEARANCES = ['public', 'internal', 'confidential', 'restricted'] as const;
export const clearanceSchema = z.enum(CLEARANCES);
export type Clearance = z.infer<typeof clearanceSchema>;

export const USER_STATUSES = ['active', 'suspended', 'disabled'] as const;
export const userStatusSchema = z.enum(USER_STATUSES);
export type UserStatus = z.infer<typeof userStatusSchema>;

/** A masked e-mail address: at most its first character, then `***@domain`. Never the clear address. */
export const maskedEmailSchema = z.string().max(320).regex(/^[^@\s*]?\*\*\*@[^@\s]+$/, 'must be a masked e-mail address');

const id = z.string().min(1).max(200);
const username = z.string().min(1).max(100);

export const userCreatedV1 = z.strictObject({
  userId: z.uuid(),
  username,
  displayName: z.string().min(1).max(200),
  email: maskedEmailSchema,
  roles: z.array(userRoleSchema).max(USER_ROLES.length),
  teamId: id.nullable(),
  managerId: id.nullable(),
  clearance: clearanceSchema,
  status: userStatusSchema,
});
export type UserCreatedData = z.infer<typeof userCreatedV1>;

/** Only the fields that changed are present. */
export const userUpdatedV1 = z.strictObject({
  userId: z.uuid(),
  displayName: z.string().min(1).max(200).optional(),
  email: maskedEmailSchema.optional(),
  roles: z.array(userRoleSchema).max(USER_ROLES.length).optional(),
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

export const teamCreatedV1 = z.strictObject({
  teamId: z.uuid(),
  name: z.string().min(1).max(200),
  parentId: z.uuid().nullable(),
  supervisorId: z.uuid().nullable(),
});
export type TeamCreatedData = z.infer<typeof teamCreatedV1>;

export const geoSchema = z.strictObject({ country: z.string().max(10).nullable(), city: z.string().max(200).nullable() });

export const loginSucceededV1 = z.strictObject({
  userId: z.uuid(),
  sessionId: z.uuid(),
  mfa: z.boolean(),
  geo: geoSchema.nullable(),
});
export type LoginSucceededData = z.infer<typeof loginSucceededV1>;

export const LOGIN_FAILURE_REASONS = ['bad_credentials', 'locked', 'disabled', 'mfa_required', 'rate_limited'] as const;
export const loginFailedV1 = z.strictObject({
  /** The user, when the name belongs to one. */
  userId: z.uuid().nullable(),
  /** SHA-256 (hex) of the lower-cased user name: correlates attempts without storing what was typed. */
  usernameHash: z.string().regex(/^[0-9a-f]{64}$/),
  reason: z.enum(LOGIN_FAILURE_REASONS),
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

export type UserEvent =
  | { type: 'UserCreated'; data: UserCreatedData }
  | { type: 'UserUpdated'; data: UserUpdatedData }
  | { type: 'UserStatusChanged'; data: UserStatusChangedData }
  | { type: 'UserDisabled'; data: UserDisabledData }
  | { type: 'PasswordChanged'; data: PasswordChangedData }
  | { type: 'MfaEnabled'; data: MfaEnabledData };

export type TeamEvent = { type: 'TeamCreated'; data: TeamCreatedData };

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
  { type: 'TeamCreated', versions: { 1: teamCreatedV1 } },
  { type: 'LoginSucceeded', versions: { 1: loginSucceededV1 } },
  { type: 'LoginFailed', versions: { 1: loginFailedV1 } },
  { type: 'SessionRevoked', versions: { 1: sessionRevokedV1 } },
  { type: 'TokenRefreshed', versions: { 1: tokenRefreshedV1 } },
  { type: 'RefreshTokenReuseDetected', versions: { 1: refreshTokenReuseDetectedV1 } },
];
