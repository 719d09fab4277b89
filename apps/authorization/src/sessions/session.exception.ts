import { CodedError } from '@warden/contracts';

export enum SessionErrorCode {
  AlreadyStarted = 'SESSION_ALREADY_STARTED',
  NotActive = 'SESSION_NOT_ACTIVE',
}

const statusOf: Record<SessionErrorCode, number> = {
  [SessionErrorCode.AlreadyStarted]: 409,
  [SessionErrorCode.NotActive]: 401,
};

export class SessionError extends CodedError<SessionErrorCode> {
  constructor(code: SessionErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
