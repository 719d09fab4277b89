import { WardenError } from '@warden/contracts';

export enum MfaErrorCode {
  AlreadyEnabled = 'MFA_ALREADY_ENABLED',
  NotEnrolled = 'MFA_NOT_ENROLLED',
  InvalidCode = 'INVALID_MFA_CODE',
}

const statusOf: Record<MfaErrorCode, number> = {
  [MfaErrorCode.AlreadyEnabled]: 409,
  [MfaErrorCode.NotEnrolled]: 409,
  [MfaErrorCode.InvalidCode]: 400,
};

export class MfaError extends WardenError {
  readonly status: number;
  constructor(
    readonly code: MfaErrorCode,
    message: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
