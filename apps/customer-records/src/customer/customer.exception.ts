import { CodedError } from '@warden/contracts';

export enum CustomerErrorCode {
  AlreadyRegistered = 'CUSTOMER_ALREADY_REGISTERED',
  NotFound = 'CUSTOMER_NOT_FOUND',
  Erased = 'CUSTOMER_ERASED',
  Archived = 'CUSTOMER_ARCHIVED',
  ConsentNotGranted = 'CONSENT_NOT_GRANTED',
  ShareNotFound = 'SHARE_NOT_FOUND',
  /** Sharing a customer with its own owner. */
  OwnedByUser = 'CUSTOMER_OWNED_BY_USER',
  TooManyShares = 'TOO_MANY_SHARES',
  /** An update without `If-Match` (HTTP 428 Precondition Required). */
  VersionRequired = 'PRECONDITION_REQUIRED',
}

const statusOf: Record<CustomerErrorCode, number> = {
  [CustomerErrorCode.AlreadyRegistered]: 409,
  [CustomerErrorCode.NotFound]: 404,
  [CustomerErrorCode.Erased]: 410,
  [CustomerErrorCode.Archived]: 409,
  [CustomerErrorCode.ConsentNotGranted]: 409,
  [CustomerErrorCode.ShareNotFound]: 404,
  [CustomerErrorCode.OwnedByUser]: 409,
  [CustomerErrorCode.TooManyShares]: 409,
  [CustomerErrorCode.VersionRequired]: 428,
};

export class CustomerError extends CodedError<CustomerErrorCode> {
  constructor(code: CustomerErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
