import { z } from 'zod';

export const loginBody = z.strictObject({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(1024),
  /** The current code of the user's authenticator, or one of their recovery codes, when two-factor authentication is enabled. */
  totp: z
    .string()
    .trim()
    .regex(/^(\d{6}|[a-zA-Z2-7]{4}(-?[a-zA-Z2-7]{4}){3})$/, 'must be 6 digits or a recovery code')
    .optional(),
});
export type LoginBody = z.infer<typeof loginBody>;

export const refreshBody = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});
export type RefreshBody = z.infer<typeof refreshBody>;

const totpCode = z.string().regex(/^\d{6}$/, 'must be 6 digits');
/** What a login that must enrol first got instead of tokens. */
const enrollmentToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the enrollment token of the login');

export const mfaCodeBody = z.strictObject({ totp: totpCode });
export type MfaCodeBody = z.infer<typeof mfaCodeBody>;

/** Without `enrollmentToken` the caller's access token says who enrols. */
export const mfaEnrollBody = z.strictObject({ enrollmentToken: enrollmentToken.optional() }).default({});
export type MfaEnrollBody = z.infer<typeof mfaEnrollBody>;

export const mfaActivateBody = z.strictObject({ totp: totpCode, enrollmentToken: enrollmentToken.optional() });
export type MfaActivateBody = z.infer<typeof mfaActivateBody>;

export type TokenResponse = {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
};

/** A login whose password was right, by a user a role obliges to enrol MFA first: no session, no token. */
export type EnrollmentRequiredResponse = { mfaEnrollmentRequired: true; enrollmentToken: string };

export type LoginResponse = TokenResponse | EnrollmentRequiredResponse;

export type RecoveryCodesResponse = { recoveryCodes: string[] };

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  /** Checked against the password policy by the service (the message names the rule). */
  newPassword: z.string().min(1).max(1024),
});
export type ChangePasswordBody = z.infer<typeof changePasswordBody>;
