import type {
  LeaverReportSummary,
  OffboardingEvent,
  OffboardingRequestedData,
  OffboardingStep,
} from '@warden/contracts';
import type { OffboardingCommand } from './offboarding.commands';
import { OffboardingError, OffboardingErrorCode } from './offboarding.exception';

export type CaseStatus = 'scheduled' | 'in_progress' | 'needs_attention' | 'completed' | 'cancelled';

/** What the saga does next on a case (`complete` once every step is done). */
export type NextAction = OffboardingStep | 'takeEffect' | 'complete';

export type CaseState =
  | { status: 'none' }
  | {
      status: CaseStatus;
      request: OffboardingRequestedData;
      effective: boolean;
      tookEffectAt: string | null;
      departingMarked: boolean;
      freeze: { sessionsRevoked: number; grantsRevoked: number; exportsCommandId: string } | null;
      handover: {
        transferId: string;
        commandId: string;
        successorId: string | null;
        successorPoolUserIds: string[] | null;
        done: number;
        total: number;
        count: number | null;
      } | null;
      report: { reportId: string; summary: LeaverReportSummary } | null;
      /** Failed attempts of the current step since it last succeeded or was retried by a person. */
      failures: { step: OffboardingStep; attempts: number; lastError: string } | null;
      attention: { step: OffboardingStep; reason: string; attempts: number } | null;
    };

export type OpenCase = Exclude<CaseState, { status: 'none' }>;

export const initialCaseState: CaseState = { status: 'none' };

/** The step the saga stands at, from the state alone. */
export function nextAction(state: OpenCase): NextAction {
  if (!state.effective) return state.departingMarked ? 'takeEffect' : 'markDeparting';
  if (!state.freeze) return 'freeze';
  if (!state.handover || state.handover.count === null) return 'handover';
  if (!state.report) return 'report';
  return 'complete';
}

const notFound = (): OffboardingError => new OffboardingError(OffboardingErrorCode.NotFound, 'offboarding case not found');

function open(state: CaseState): OpenCase {
  if (state.status === 'none') throw notFound();
  return state;
}

/** A case that ended refuses further work with a clear code. */
function ensureNotEnded(state: OpenCase): void {
  const caseId = state.request.caseId;
  if (state.status === 'cancelled') {
    throw new OffboardingError(OffboardingErrorCode.Cancelled, `offboarding case ${caseId} was cancelled`);
  }
  if (state.status === 'completed') {
    throw new OffboardingError(OffboardingErrorCode.Completed, `offboarding case ${caseId} is completed`);
  }
}

/** The saga's own commands are ignored (no event) on a case that ended or waits for a person. */
const sagaMayAct = (state: OpenCase): boolean => state.status === 'scheduled' || state.status === 'in_progress';

/** The reason the authorization service records when a cancelled case's departing mark is cleared. */
export const departureCancelReason = (caseId: string): string => `offboarding:${caseId} cancelled`;

/** The principal recorded when an answer, not a person, resumes a step that needed attention. */
export const ANSWER_RESUMES_STEP = 'system:offboarding';

/**
 * An answer of customer-records that arrives after the hand-over was given up on (its silence
 * counted as failed attempts until the case needed attention: a slow transfer, or this service's
 * consumer waiting for its partitions after a crash) proves the step is alive: the case resumes
 * (recorded as a retry by the system, before the answer's event) instead of staying in
 * `needs_attention` with the step done and nothing left for the saga to do.
 */
function resumeHandover(s: OpenCase): OffboardingEvent[] {
  if (s.status !== 'needs_attention' || s.attention?.step !== 'handover') return [];
  return [{ type: 'OffboardingStepRetried', data: { caseId: s.request.caseId, step: 'handover', retriedBy: ANSWER_RESUMES_STEP } }];
}

/** Pure: what a command on a case produces, given its state. */
export function decide(command: OffboardingCommand, state: CaseState): OffboardingEvent[] {
  switch (command.type) {
    case 'RequestOffboarding': {
      const data = command.data;
      if (state.status !== 'none') {
        throw new OffboardingError(OffboardingErrorCode.AlreadyExists, `offboarding case ${data.caseId} already exists`);
      }
      const requested: OffboardingEvent = { type: 'OffboardingRequested', data: { ...data } };
      const base = { caseId: data.caseId, userId: data.userId, effectiveAt: data.effectiveAt };
      if (Date.parse(data.effectiveAt) > Date.parse(command.now)) {
        return [requested, { type: 'OffboardingScheduled', data: base }];
      }
      return [requested, { type: 'OffboardingTookEffect', data: base }];
    }
    case 'RecordDepartingMarked': {
      const s = open(state);
      if (!sagaMayAct(s) || s.effective || s.departingMarked) return [];
      const { caseId, userId, effectiveAt } = s.request;
      return [{ type: 'UserMarkedDepartingRecorded', data: { caseId, userId, effectiveAt } }];
    }
    case 'TakeEffect': {
      const s = open(state);
      ensureNotEnded(s);
      if (s.effective) return [];
      const { caseId, userId, effectiveAt } = s.request;
      if (!command.early && Date.parse(command.now) < Date.parse(effectiveAt)) {
        throw new OffboardingError(OffboardingErrorCode.NotDue, `offboarding case ${caseId} takes effect at ${effectiveAt}`);
      }
      return [{ type: 'OffboardingTookEffect', data: { caseId, userId, effectiveAt: command.early ? command.now : effectiveAt } }];
    }
    case 'RecordAccessFrozen': {
      const s = open(state);
      if (!sagaMayAct(s) || !s.effective || s.freeze) return [];
      return [{ type: 'AccessFrozen', data: { caseId: s.request.caseId, userId: s.request.userId, ...command.data } }];
    }
    case 'StartHandover': {
      const s = open(state);
      if (!sagaMayAct(s) || !s.freeze || s.handover) return [];
      const { successorPoolUserIds, ...rest } = command.data;
      return [
        {
          type: 'HandoverStarted',
          data: {
            caseId: s.request.caseId,
            userId: s.request.userId,
            ...rest,
            successorPoolUserIds: successorPoolUserIds ? [...successorPoolUserIds] : null,
          },
        },
      ];
    }
    case 'RecordHandoverProgress': {
      const s = open(state);
      const h = s.handover;
      // Late, repeated or out-of-order answers change nothing.
      if (!h || h.transferId !== command.data.transferId || h.count !== null) return [];
      if (command.data.done <= h.done && command.data.total === h.total) return [];
      if (command.data.done < h.done) return [];
      return [...resumeHandover(s), { type: 'HandoverProgressed', data: { caseId: s.request.caseId, ...command.data } }];
    }
    case 'CompleteHandover': {
      const s = open(state);
      const h = s.handover;
      if (!h || h.transferId !== command.data.transferId || h.count !== null) return [];
      return [...resumeHandover(s), { type: 'HandoverCompleted', data: { caseId: s.request.caseId, ...command.data } }];
    }
    case 'RecordReport': {
      const s = open(state);
      if (!sagaMayAct(s) || nextAction(s) !== 'report') return [];
      const { caseId, userId } = s.request;
      const { reportId, periodDays, summary, link } = command.data;
      return [
        { type: 'ReportGenerated', data: { caseId, userId, reportId, periodDays, summary: { ...summary } } },
        { type: 'LeaverReportReady', data: { caseId, userId, reportId, link, audience: ['hr', 'security_officer'] } },
      ];
    }
    case 'CompleteOffboarding': {
      const s = open(state);
      if (!sagaMayAct(s) || nextAction(s) !== 'complete' || !s.freeze || !s.handover || !s.report) return [];
      return [
        {
          type: 'OffboardingCompleted',
          data: {
            caseId: s.request.caseId,
            userId: s.request.userId,
            summary: {
              sessionsRevoked: s.freeze.sessionsRevoked,
              grantsRevoked: s.freeze.grantsRevoked,
              customersTransferred: s.handover.count ?? 0,
              successorId: s.handover.successorId,
              reportId: s.report.reportId,
              tookEffectAt: s.tookEffectAt ?? s.request.effectiveAt,
            },
          },
        },
      ];
    }
    case 'CancelOffboarding': {
      const s = open(state);
      ensureNotEnded(s);
      if (s.effective) {
        throw new OffboardingError(
          OffboardingErrorCode.AlreadyEffective,
          `offboarding case ${s.request.caseId} has already taken effect and can no longer be cancelled`,
        );
      }
      return [
        {
          type: 'OffboardingCancelled',
          data: { caseId: s.request.caseId, userId: s.request.userId, ...command.data },
        },
      ];
    }
    case 'RecordStepFailure': {
      const s = open(state);
      const { step, error, nextAttemptAt, maxAttempts, permanent } = command.data;
      if (!sagaMayAct(s) || nextAction(s) !== step) return [];
      const attempts = (s.failures?.step === step ? s.failures.attempts : 0) + 1;
      const caseId = s.request.caseId;
      const failed: OffboardingEvent = { type: 'OffboardingStepFailed', data: { caseId, step, attempt: attempts, error, nextAttemptAt } };
      if (permanent || attempts >= maxAttempts) {
        return [failed, { type: 'OffboardingNeedsAttention', data: { caseId, step, attempts, reason: error } }];
      }
      return [failed];
    }
    case 'RetryStep': {
      const s = open(state);
      ensureNotEnded(s);
      if (s.status !== 'needs_attention' || !s.attention) {
        throw new OffboardingError(
          OffboardingErrorCode.NotNeedingAttention,
          `offboarding case ${s.request.caseId} is ${s.status}, not needs_attention: there is nothing to retry`,
        );
      }
      return [
        {
          type: 'OffboardingStepRetried',
          data: { caseId: s.request.caseId, step: s.attention.step, retriedBy: command.data.retriedBy },
        },
      ];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as OffboardingCommand).type}`);
    }
  }
}

/** Pure: the case after an event. */
export function evolve(state: CaseState, event: OffboardingEvent): CaseState {
  if (event.type === 'OffboardingRequested') {
    return {
      status: 'scheduled',
      request: { ...event.data },
      effective: false,
      tookEffectAt: null,
      departingMarked: false,
      freeze: null,
      handover: null,
      report: null,
      failures: null,
      attention: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OffboardingScheduled':
      return { ...state, status: 'scheduled' };
    case 'UserMarkedDepartingRecorded':
      return { ...state, departingMarked: true, failures: null };
    case 'OffboardingTookEffect':
      return { ...state, status: 'in_progress', effective: true, tookEffectAt: event.data.effectiveAt, failures: null };
    case 'AccessFrozen': {
      const { sessionsRevoked, grantsRevoked, exportsCommandId } = event.data;
      return { ...state, freeze: { sessionsRevoked, grantsRevoked, exportsCommandId }, failures: null };
    }
    case 'HandoverStarted': {
      const { transferId, commandId, successorId, successorPoolUserIds } = event.data;
      return {
        ...state,
        handover: { transferId, commandId, successorId, successorPoolUserIds, done: 0, total: 0, count: null },
      };
    }
    case 'HandoverProgressed':
      return state.handover
        ? { ...state, handover: { ...state.handover, done: event.data.done, total: event.data.total }, failures: null }
        : state;
    case 'HandoverCompleted':
      return state.handover
        ? {
            ...state,
            handover: { ...state.handover, done: event.data.count, total: event.data.count, count: event.data.count },
            failures: null,
          }
        : state;
    case 'ReportGenerated':
      return { ...state, report: { reportId: event.data.reportId, summary: { ...event.data.summary } }, failures: null };
    case 'LeaverReportReady':
      return state;
    case 'OffboardingCompleted':
      return { ...state, status: 'completed', failures: null, attention: null };
    case 'OffboardingCancelled':
      return { ...state, status: 'cancelled' };
    case 'OffboardingStepFailed':
      return { ...state, failures: { step: event.data.step, attempts: event.data.attempt, lastError: event.data.error } };
    case 'OffboardingNeedsAttention':
      return {
        ...state,
        status: 'needs_attention',
        attention: { step: event.data.step, reason: event.data.reason, attempts: event.data.attempts },
      };
    case 'OffboardingStepRetried':
      return { ...state, status: state.effective ? 'in_progress' : 'scheduled', attention: null, failures: null };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as OffboardingEvent).type}`);
    }
  }
}

export const offboardingDecider = { initialState: initialCaseState, decide, evolve };
