import { CodedError } from '@warden/contracts';

export enum CustomerImportErrorCode {
  NotFound = 'IMPORT_NOT_FOUND',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  TooLarge = 'PAYLOAD_TOO_LARGE',
}

const statusOf: Record<CustomerImportErrorCode, number> = {
  [CustomerImportErrorCode.NotFound]: 404,
  [CustomerImportErrorCode.UnsupportedMediaType]: 415,
  [CustomerImportErrorCode.TooLarge]: 413,
};

export class CustomerImportError extends CodedError<CustomerImportErrorCode> {
  constructor(code: CustomerImportErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
