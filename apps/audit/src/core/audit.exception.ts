import { CodedError } from '@warden/contracts';

export enum AuditErrorCode {
  EventNotFound = 'EVENT_NOT_FOUND',
  NotYetCheckpointed = 'NOT_YET_CHECKPOINTED',
  TreeSizeOutOfRange = 'TREE_SIZE_OUT_OF_RANGE',
  NoCheckpoint = 'NO_CHECKPOINT',
  ExportTooLarge = 'EXPORT_TOO_LARGE',
  InvalidCursor = 'INVALID_CURSOR',
  FilterNotAllowed = 'FILTER_NOT_ALLOWED',
}

const STATUS: Readonly<Record<AuditErrorCode, number>> = {
  [AuditErrorCode.EventNotFound]: 404,
  [AuditErrorCode.NotYetCheckpointed]: 409,
  [AuditErrorCode.TreeSizeOutOfRange]: 400,
  [AuditErrorCode.NoCheckpoint]: 404,
  [AuditErrorCode.ExportTooLarge]: 413,
  [AuditErrorCode.InvalidCursor]: 400,
  [AuditErrorCode.FilterNotAllowed]: 403,
};

export class AuditError extends CodedError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string) {
    super(code, message, STATUS);
  }
}
