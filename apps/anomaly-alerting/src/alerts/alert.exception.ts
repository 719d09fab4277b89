import { CodedError } from '@warden/contracts';

export enum AlertErrorCode {
  NotFound = 'ALERT_NOT_FOUND',
  AlreadyExists = 'ALERT_ALREADY_EXISTS',
  Closed = 'ALERT_CLOSED',
  ResponseNotTaken = 'ALERT_RESPONSE_NOT_TAKEN',
}

const STATUS: Record<AlertErrorCode, number> = {
  [AlertErrorCode.NotFound]: 404,
  [AlertErrorCode.AlreadyExists]: 409,
  [AlertErrorCode.Closed]: 409,
  [AlertErrorCode.ResponseNotTaken]: 409,
};

export class AlertError extends CodedError<AlertErrorCode> {
  constructor(code: AlertErrorCode, message: string) {
    super(code, message, STATUS);
  }
}
