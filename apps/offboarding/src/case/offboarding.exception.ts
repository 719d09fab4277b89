import { CodedError } from '@warden/contracts';

export enum OffboardingErrorCode {
  NotFound = 'OFFBOARDING_NOT_FOUND',
  AlreadyExists = 'OFFBOARDING_ALREADY_EXISTS',
  AlreadyOpen = 'OFFBOARDING_ALREADY_OPEN',
  UnknownUser = 'OFFBOARDING_UNKNOWN_USER',
  UserAlreadyOffboarded = 'OFFBOARDING_USER_ALREADY_OFFBOARDED',
  SuccessorIsLeaver = 'OFFBOARDING_SUCCESSOR_IS_LEAVER',
  UnknownSuccessor = 'OFFBOARDING_UNKNOWN_SUCCESSOR',
  SuccessorUnavailable = 'OFFBOARDING_SUCCESSOR_UNAVAILABLE',
  SuccessorOutOfScope = 'OFFBOARDING_SUCCESSOR_OUT_OF_SCOPE',
  UnknownPool = 'OFFBOARDING_UNKNOWN_POOL',
  EmptyPool = 'OFFBOARDING_EMPTY_POOL',
  AlreadyEffective = 'OFFBOARDING_ALREADY_EFFECTIVE',
  Cancelled = 'OFFBOARDING_CANCELLED',
  Completed = 'OFFBOARDING_COMPLETED',
  NotDue = 'OFFBOARDING_NOT_DUE',
  NotNeedingAttention = 'OFFBOARDING_NOT_NEEDING_ATTENTION',
  InvalidStep = 'OFFBOARDING_INVALID_STEP',
  ReportNotReady = 'OFFBOARDING_REPORT_NOT_READY',
}

const statusOf: Record<OffboardingErrorCode, number> = {
  [OffboardingErrorCode.NotFound]: 404,
  [OffboardingErrorCode.AlreadyExists]: 409,
  [OffboardingErrorCode.AlreadyOpen]: 409,
  [OffboardingErrorCode.UnknownUser]: 400,
  [OffboardingErrorCode.UserAlreadyOffboarded]: 409,
  [OffboardingErrorCode.SuccessorIsLeaver]: 400,
  [OffboardingErrorCode.UnknownSuccessor]: 400,
  [OffboardingErrorCode.SuccessorUnavailable]: 409,
  [OffboardingErrorCode.SuccessorOutOfScope]: 409,
  [OffboardingErrorCode.UnknownPool]: 400,
  [OffboardingErrorCode.EmptyPool]: 409,
  [OffboardingErrorCode.AlreadyEffective]: 409,
  [OffboardingErrorCode.Cancelled]: 409,
  [OffboardingErrorCode.Completed]: 409,
  [OffboardingErrorCode.NotDue]: 409,
  [OffboardingErrorCode.NotNeedingAttention]: 409,
  [OffboardingErrorCode.InvalidStep]: 409,
  [OffboardingErrorCode.ReportNotReady]: 409,
};

export class OffboardingError extends CodedError<OffboardingErrorCode> {
  constructor(code: OffboardingErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
