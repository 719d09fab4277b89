import { CodedError } from '@warden/contracts';

export enum ExportErrorCode {
  NotFound = 'EXPORT_NOT_FOUND',
  AlreadyExists = 'EXPORT_ALREADY_EXISTS',
  NotPendingApproval = 'EXPORT_NOT_PENDING_APPROVAL',
  SelfApproval = 'EXPORT_SELF_APPROVAL',
  NotApprover = 'EXPORT_NOT_APPROVER',
  StepUpRequired = 'EXPORT_STEP_UP_REQUIRED',
  ApprovalExpired = 'EXPORT_APPROVAL_EXPIRED',
  NotCancellable = 'EXPORT_NOT_CANCELLABLE',
  NotRunnable = 'EXPORT_NOT_RUNNABLE',
  NotRunning = 'EXPORT_NOT_RUNNING',
  NotReady = 'EXPORT_NOT_READY',
  FileGone = 'EXPORT_FILE_GONE',
  LinkInvalid = 'EXPORT_LINK_INVALID',
  LinkUsed = 'EXPORT_LINK_USED',
  NotRequester = 'EXPORT_NOT_REQUESTER',
  FieldNotAllowed = 'EXPORT_FIELD_NOT_ALLOWED',
  NotAllowed = 'EXPORT_NOT_ALLOWED',
}

const STATUS: Record<ExportErrorCode, number> = {
  [ExportErrorCode.NotFound]: 404,
  [ExportErrorCode.AlreadyExists]: 409,
  [ExportErrorCode.NotPendingApproval]: 409,
  [ExportErrorCode.SelfApproval]: 403,
  [ExportErrorCode.NotApprover]: 403,
  [ExportErrorCode.StepUpRequired]: 401,
  [ExportErrorCode.ApprovalExpired]: 410,
  [ExportErrorCode.NotCancellable]: 409,
  [ExportErrorCode.NotRunnable]: 409,
  [ExportErrorCode.NotRunning]: 409,
  [ExportErrorCode.NotReady]: 409,
  [ExportErrorCode.FileGone]: 410,
  [ExportErrorCode.LinkInvalid]: 403,
  [ExportErrorCode.LinkUsed]: 410,
  [ExportErrorCode.NotRequester]: 403,
  [ExportErrorCode.FieldNotAllowed]: 403,
  [ExportErrorCode.NotAllowed]: 403,
};

export class ExportError extends CodedError<ExportErrorCode> {
  constructor(code: ExportErrorCode, message: string) {
    super(code, message, STATUS);
  }
}
