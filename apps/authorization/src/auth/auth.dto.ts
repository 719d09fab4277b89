import { z } from 'zod';

export const loginBody = z.strictObject({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(1024),
  /** The current code of the user's authenticator, when two-factor authentication is enabled. */
  totp: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional(),
});
export type LoginBody = z.infer<typeof loginBody>;

export const refreshBody = z.strictObject({
  refreshToken: z.string().min(1).max(200),
});
export type RefreshBody = z.infer<typeof refreshBody>;

export const mfaCodeBody = z.strictObject({ totp: z.string().regex(/^\d{6}$/, 'must be 6 digits') });
export type MfaCodeBody = z.infer<typeof mfaCodeBody>;

export type TokenResponse = {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
};
