import { CodedError } from '@warden/contracts';

export enum MfaErrorCode {
  AlreadyEnabled = 'MFA_ALREADY_ENABLED',
  NotEnrolled = 'MFA_NOT_ENROLLED',
  InvalidCode = 'INVALID_MFA_CODE',
  /** Unknown, expired or spent enrollment token (the login's answer when a role requires MFA). */
  InvalidEnrollmentToken = 'INVALID_ENROLLMENT_TOKEN',
}

const statusOf: Record<MfaErrorCode, number> = {
  [MfaErrorCode.AlreadyEnabled]: 409,
  [MfaErrorCode.NotEnrolled]: 409,
  [MfaErrorCode.InvalidCode]: 400,
  [MfaErrorCode.InvalidEnrollmentToken]: 401,
};

export class MfaError extends CodedError<MfaErrorCode> {
  constructor(code: MfaErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
