import type {
  LeaverReportSummary,
  OffboardingEvent,
  OffboardingRequestedData,
  OffboardingStep,
  OffboardingStepCommand,
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
      /** The step whose commands were sent and are awaited (null once answered, failed or retried). */
      started: { step: OffboardingStep; commands: Array<{ commandId: string; command: OffboardingStepCommand }>; answerBy: string } | null;
      /** Answers received so far to the freeze's commands, by command. */
      freezeAnswers: Partial<Record<'FreezeUserAccess' | 'CancelUserExports', { commandId: string; outcome: Record<string, string | number | boolean | null> }>>;
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
 * An answer that arrives after its step was given up on (its silence counted as failed attempts
 * until the case needed attention: a slow receiver, or this service's consumer waiting for its
 * partitions after a crash) proves the step is alive: the case resumes (recorded as a retry by the
 * system, before the answer's event) instead of staying in `needs_attention` with the step done
 * and nothing left for the saga to do.
 */
function resumeStep(s: OpenCase, step: OffboardingStep): OffboardingEvent[] {
  if (s.status !== 'needs_attention' || s.attention?.step !== step) return [];
  return [{ type: 'OffboardingStepRetried', data: { caseId: s.request.caseId, step, retriedBy: ANSWER_RESUMES_STEP } }];
}

/** The saga, or an answer to its commands, may act on the case at `step` (waiting for a person on that step included). */
const answerMayAct = (s: OpenCase, step: OffboardingStep): boolean =>
  (sagaMayAct(s) || (s.status === 'needs_attention' && s.attention?.step === step)) && nextAction(s) === step;

const numberOf = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0);

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
      if (!answerMayAct(s, 'markDeparting')) return [];
      const { caseId, userId, effectiveAt } = s.request;
      return [...resumeStep(s, 'markDeparting'), { type: 'UserMarkedDepartingRecorded', data: { caseId, userId, effectiveAt } }];
    }
    case 'StartStep': {
      const s = open(state);
      const { step, commands, answerBy } = command.data;
      if (!sagaMayAct(s) || nextAction(s) !== step || s.started?.step === step) return [];
      return [{ type: 'OffboardingStepStarted', data: { caseId: s.request.caseId, step, commands: commands.map((c) => ({ ...c })), answerBy } }];
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
    case 'RecordFreezeAnswer': {
      const s = open(state);
      const { commandId, command: name, outcome } = command.data;
      // Repeated answers (a command sent again after a silence) and answers to a step done change nothing.
      if (!answerMayAct(s, 'freeze') || s.freezeAnswers[name]) return [];
      const { caseId, userId } = s.request;
      const events: OffboardingEvent[] = [
        ...resumeStep(s, 'freeze'),
        { type: 'OffboardingCommandAnswered', data: { caseId, step: 'freeze', commandId, command: name, outcome: { ...outcome } } },
      ];
      const answers = { ...s.freezeAnswers, [name]: { commandId, outcome } };
      if (answers.FreezeUserAccess && answers.CancelUserExports) {
        const frozen = answers.FreezeUserAccess.outcome;
        events.push({
          type: 'AccessFrozen',
          data: {
            caseId,
            userId,
            sessionsRevoked: numberOf(frozen.sessionsRevoked),
            grantsRevoked: numberOf(frozen.grantsRevoked),
            exportsCommandId: answers.CancelUserExports.commandId,
          },
        });
      }
      return events;
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
      return [...resumeStep(s, 'handover'), { type: 'HandoverProgressed', data: { caseId: s.request.caseId, ...command.data } }];
    }
    case 'CompleteHandover': {
      const s = open(state);
      const h = s.handover;
      if (!h || h.transferId !== command.data.transferId || h.count !== null) return [];
      return [...resumeStep(s, 'handover'), { type: 'HandoverCompleted', data: { caseId: s.request.caseId, ...command.data } }];
    }
    case 'RecordReport': {
      const s = open(state);
      if (!answerMayAct(s, 'report')) return [];
      const { caseId, userId } = s.request;
      const { reportId, periodDays, summary, link } = command.data;
      return [
        ...resumeStep(s, 'report'),
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
      started: null,
      freezeAnswers: {},
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
      return { ...state, departingMarked: true, started: null, failures: null };
    case 'OffboardingTookEffect':
      return { ...state, status: 'in_progress', effective: true, tookEffectAt: event.data.effectiveAt, started: null, failures: null };
    case 'OffboardingStepStarted': {
      const { step, commands, answerBy } = event.data;
      return { ...state, started: { step, commands: commands.map((c) => ({ ...c })), answerBy } };
    }
    case 'OffboardingCommandAnswered': {
      if (event.data.command !== 'FreezeUserAccess' && event.data.command !== 'CancelUserExports') return state;
      const answer = { commandId: event.data.commandId, outcome: { ...event.data.outcome } };
      return { ...state, freezeAnswers: { ...state.freezeAnswers, [event.data.command]: answer } };
    }
    case 'AccessFrozen': {
      const { sessionsRevoked, grantsRevoked, exportsCommandId } = event.data;
      return { ...state, freeze: { sessionsRevoked, grantsRevoked, exportsCommandId }, started: null, failures: null };
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
      return { ...state, report: { reportId: event.data.reportId, summary: { ...event.data.summary } }, started: null, failures: null };
    case 'LeaverReportReady':
      return state;
    case 'OffboardingCompleted':
      return { ...state, status: 'completed', failures: null, attention: null };
    case 'OffboardingCancelled':
      return { ...state, status: 'cancelled' };
    case 'OffboardingStepFailed':
      // The attempt is over: the next one sends the step's (unanswered) commands afresh.
      return { ...state, started: null, failures: { step: event.data.step, attempts: event.data.attempt, lastError: event.data.error } };
    case 'OffboardingNeedsAttention':
      return {
        ...state,
        status: 'needs_attention',
        attention: { step: event.data.step, reason: event.data.reason, attempts: event.data.attempts },
      };
    case 'OffboardingStepRetried':
      // A person's retry sends the step's commands afresh; an answer resuming the step is followed by its event.
      return { ...state, status: state.effective ? 'in_progress' : 'scheduled', attention: null, failures: null, started: null };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as OffboardingEvent).type}`);
    }
  }
}

export const offboardingDecider = { initialState: initialCaseState, decide, evolve };
