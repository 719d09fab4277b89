import type { LeaverReportSummary, OffboardingRequestedData, OffboardingStep, OffboardingStepCommand } from '@warden/contracts';

/**
 * Commands on a case. Time (`now`) and ids arrive in the command: the decider reads no clock and
 * makes no id.
 */
export type RequestOffboarding = { type: 'RequestOffboarding'; data: OffboardingRequestedData; now: string };
export type RecordDepartingMarked = { type: 'RecordDepartingMarked' };
/** `early`: the identity provider deprovisioned the user, so a scheduled case takes effect now. */
export type TakeEffect = { type: 'TakeEffect'; now: string; early?: boolean };
/** The saga sent a step's commands (mark departing, freeze, report) and waits until `answerBy`. */
export type StartStep = {
  type: 'StartStep';
  data: { step: OffboardingStep; commands: Array<{ commandId: string; command: OffboardingStepCommand }>; answerBy: string };
};
/** An answer (`CommandCompleted`) to one of the freeze's commands. */
export type RecordFreezeAnswer = {
  type: 'RecordFreezeAnswer';
  data: { commandId: string; command: 'FreezeUserAccess' | 'CancelUserExports'; outcome: Record<string, string | number | boolean | null> };
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
  | StartStep
  | RecordFreezeAnswer
  | StartHandover
  | RecordHandoverProgress
  | CompleteHandover
  | RecordReport
  | CompleteOffboarding
  | CancelOffboarding
  | RecordStepFailure
  | RetryStep;
