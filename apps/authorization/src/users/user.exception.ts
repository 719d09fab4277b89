import { CodedError } from '@warden/contracts';

export enum UserErrorCode {
  AlreadyExists = 'USER_ALREADY_EXISTS',
  UsernameTaken = 'USERNAME_TAKEN',
  NotFound = 'USER_NOT_FOUND',
  InvalidTransition = 'USER_INVALID_STATUS_TRANSITION',
  WeakPassword = 'WEAK_PASSWORD',
  InvalidReference = 'USER_INVALID_REFERENCE',
  MfaAlreadyEnabled = 'MFA_ALREADY_ENABLED',
  UnknownRole = 'USER_UNKNOWN_ROLE',
  Offboarded = 'USER_OFFBOARDED',
  InvalidRestriction = 'USER_INVALID_RESTRICTION',
  RestrictionNotFound = 'USER_RESTRICTION_NOT_FOUND',
}

const statusOf: Record<UserErrorCode, number> = {
  [UserErrorCode.AlreadyExists]: 409,
  [UserErrorCode.UsernameTaken]: 409,
  [UserErrorCode.NotFound]: 404,
  [UserErrorCode.InvalidTransition]: 409,
  [UserErrorCode.WeakPassword]: 400,
  [UserErrorCode.InvalidReference]: 400,
  [UserErrorCode.MfaAlreadyEnabled]: 409,
  [UserErrorCode.UnknownRole]: 400,
  [UserErrorCode.Offboarded]: 409,
  [UserErrorCode.InvalidRestriction]: 400,
  [UserErrorCode.RestrictionNotFound]: 404,
};

export class UserError extends CodedError<UserErrorCode> {
  constructor(code: UserErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
