import { WardenError } from '@warden/contracts';

export enum RoleErrorCode {
  AlreadyExists = 'ROLE_ALREADY_EXISTS',
  NotFound = 'ROLE_NOT_FOUND',
}

const statusOf: Record<RoleErrorCode, number> = {
  [RoleErrorCode.AlreadyExists]: 409,
  [RoleErrorCode.NotFound]: 404,
};

export class RoleError extends WardenError {
  readonly status: number;
  constructor(
    readonly code: RoleErrorCode,
    message: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
