import { CodedError } from '@warden/contracts';

export enum GrantErrorCode {
  AlreadyExists = 'GRANT_ALREADY_EXISTS',
  NotFound = 'GRANT_NOT_FOUND',
  InvalidExpiry = 'GRANT_INVALID_EXPIRY',
  SelfApproval = 'GRANT_SELF_APPROVAL',
  NotPending = 'GRANT_NOT_PENDING',
  NotRevocable = 'GRANT_NOT_REVOCABLE',
  Expired = 'GRANT_EXPIRED',
}

const statusOf: Record<GrantErrorCode, number> = {
  [GrantErrorCode.AlreadyExists]: 409,
  [GrantErrorCode.NotFound]: 404,
  [GrantErrorCode.InvalidExpiry]: 400,
  [GrantErrorCode.SelfApproval]: 403,
  [GrantErrorCode.NotPending]: 409,
  [GrantErrorCode.NotRevocable]: 409,
  [GrantErrorCode.Expired]: 409,
};

export class GrantError extends CodedError<GrantErrorCode> {
  constructor(code: GrantErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
