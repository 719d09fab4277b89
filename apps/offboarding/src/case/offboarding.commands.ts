import type { LeaverReportSummary, OffboardingRequestedData, OffboardingStep } from '@warden/contracts';

/**
 * Commands on a case. Time (`now`) and ids arrive in the command: the decider reads no clock and
 * makes no id.
 */
export type RequestOffboarding = { type: 'RequestOffboarding'; data: OffboardingRequestedData; now: string };
export type RecordDepartingMarked = { type: 'RecordDepartingMarked' };
/** `early`: the identity provider deprovisioned the user, so a scheduled case takes effect now. */
export type TakeEffect = { type: 'TakeEffect'; now: string; early?: boolean };
export type RecordAccessFrozen = {
  type: 'RecordAccessFrozen';
  data: { sessionsRevoked: number; grantsRevoked: number; exportsCommandId: string };
};
export type StartHandover = {
  type: 'StartHandover';
  data: { transferId: string; commandId: string; successorId: string | null; successorPoolUserIds: string[] | null };
};
export type RecordHandoverProgress = { type: 'RecordHandoverProgress'; data: { transferId: string; done: number; total: number } };
export type CompleteHandover = { type: 'CompleteHandover'; data: { transferId: string; count: number } };
export type RecordReport = {
  type: 'RecordReport';
  data: { reportId: string; periodDays: number; summary: LeaverReportSummary; link: string };
};
export type CompleteOffboarding = { type: 'CompleteOffboarding' };
export type CancelOffboarding = { type: 'CancelOffboarding'; data: { cancelledBy: string; reason: string | null } };
export type RecordStepFailure = {
  type: 'RecordStepFailure';
  data: {
    step: OffboardingStep;
    error: string;
    nextAttemptAt: string;
    maxAttempts: number;
    /** Retrying cannot help (e.g. no successor can be found): ask a person at once. */
    permanent?: boolean;
  };
};
export type RetryStep = { type: 'RetryStep'; data: { retriedBy: string } };

export type OffboardingCommand =
  | RequestOffboarding
  | RecordDepartingMarked
  | TakeEffect
  | RecordAccessFrozen
  | StartHandover
  | RecordHandoverProgress
  | CompleteHandover
  | RecordReport
  | CompleteOffboarding
  | CancelOffboarding
  | RecordStepFailure
  | RetryStep;
