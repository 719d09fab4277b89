import { WardenError } from '@warden/contracts';

export enum SessionErrorCode {
  AlreadyStarted = 'SESSION_ALREADY_STARTED',
  NotActive = 'SESSION_NOT_ACTIVE',
}

const statusOf: Record<SessionErrorCode, number> = {
  [SessionErrorCode.AlreadyStarted]: 409,
  [SessionErrorCode.NotActive]: 401,
};

export class SessionError extends WardenError {
  readonly status: number;
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
