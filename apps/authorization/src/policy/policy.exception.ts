import { WardenError } from '@warden/contracts';

export enum AccessErrorCode {
  /** Authenticated, but the caller's ability does not cover this. Same code as the guard's 403. */
  Forbidden = 'FORBIDDEN',
}

export class AccessError extends WardenError {
  readonly status = 403;
  readonly code = AccessErrorCode.Forbidden;
}
