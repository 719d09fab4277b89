import { CodedError } from '@warden/contracts';

export enum RoleErrorCode {
  AlreadyExists = 'ROLE_ALREADY_EXISTS',
  NotFound = 'ROLE_NOT_FOUND',
}

const statusOf: Record<RoleErrorCode, number> = {
  [RoleErrorCode.AlreadyExists]: 409,
  [RoleErrorCode.NotFound]: 404,
};

export class RoleError extends CodedError<RoleErrorCode> {
  constructor(code: RoleErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
