import { CodedError } from '@warden/contracts';

export enum CustomerErrorCode {
  AlreadyRegistered = 'CUSTOMER_ALREADY_REGISTERED',
  NotFound = 'CUSTOMER_NOT_FOUND',
  Erased = 'CUSTOMER_ERASED',
}

const statusOf: Record<CustomerErrorCode, number> = {
  [CustomerErrorCode.AlreadyRegistered]: 409,
  [CustomerErrorCode.NotFound]: 404,
  [CustomerErrorCode.Erased]: 410,
};

export class CustomerError extends CodedError<CustomerErrorCode> {
  constructor(code: CustomerErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
