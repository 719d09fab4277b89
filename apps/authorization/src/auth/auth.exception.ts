import { WardenError } from '@warden/contracts';

export enum AuthErrorCode {
  /** Unknown user, wrong password, disabled user: one answer, so the name's existence never shows. */
  InvalidCredentials = 'INVALID_CREDENTIALS',
  InvalidRefreshToken = 'INVALID_REFRESH_TOKEN',
  AccountLocked = 'ACCOUNT_LOCKED',
  RateLimited = 'RATE_LIMITED',
  /** The password was right; a TOTP code is needed as well. */
  MfaRequired = 'MFA_REQUIRED',
  /** A service-token request with an unknown client id or a wrong secret (one answer for both). */
  InvalidClient = 'INVALID_CLIENT',
  /** Step-up: the TOTP code is wrong or was already used (counts toward the lockout). */
  StepUpInvalidCode = 'STEP_UP_INVALID_CODE',
  /** Step-up needs an enrolled authenticator; the caller has none. */
  StepUpMfaNotEnrolled = 'STEP_UP_MFA_NOT_ENROLLED',
}

const statusOf: Record<AuthErrorCode, number> = {
  [AuthErrorCode.InvalidCredentials]: 401,
  [AuthErrorCode.InvalidRefreshToken]: 401,
  [AuthErrorCode.AccountLocked]: 423,
  [AuthErrorCode.RateLimited]: 429,
  [AuthErrorCode.MfaRequired]: 401,
  [AuthErrorCode.InvalidClient]: 401,
  [AuthErrorCode.StepUpInvalidCode]: 401,
  [AuthErrorCode.StepUpMfaNotEnrolled]: 403,
};

export class AuthError extends WardenError {
  readonly status: number;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /** For 423 and 429: when to try again (Retry-After and `retryAfterSeconds`). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}

export const invalidCredentials = (): AuthError =>
  new AuthError(AuthErrorCode.InvalidCredentials, 'invalid user name or password');
export const invalidRefreshToken = (): AuthError =>
  new AuthError(AuthErrorCode.InvalidRefreshToken, 'the refresh token is invalid, expired or revoked');
