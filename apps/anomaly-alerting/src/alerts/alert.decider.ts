import type { AlertEvent, AlertResponse, AlertRule, AlertStatus, Severity } from '@warden/contracts';
import { SEVERITIES } from '@warden/contracts';
import type { Decider } from '@warden/event-store';
import type { AlertCommand } from './alert.commands';
import { AlertError, AlertErrorCode } from './alert.exception';

/** An alert's evidence is capped: the first ids tell the story, the count tells the size. */
export const MAX_EVIDENCE = 100;

export type AlertState = {
  alertId: string | null;
  rule: AlertRule | null;
  userId: string | null;
  status: AlertStatus | 'none';
  severity: Severity;
  score: number;
  count: number;
  evidence: string[];
  /** Responses in force (taken and not undone). */
  responses: AlertResponse[];
};

export const initialAlertState: AlertState = {
  alertId: null,
  rule: null,
  userId: null,
  status: 'none',
  severity: 'low',
  score: 0,
  count: 0,
  evidence: [],
  responses: [],
};

const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b);
const closed = (status: AlertState['status']): boolean => status === 'resolved' || status === 'false_positive';

function existing(state: AlertState): asserts state is AlertState & { alertId: string; rule: AlertRule } {
  if (state.status === 'none' || !state.alertId || !state.rule) throw new AlertError(AlertErrorCode.NotFound, 'alert not found');
}

export function decideAlert(command: AlertCommand, state: AlertState): AlertEvent[] {
  switch (command.type) {
    case 'RaiseAlert':
      if (state.status !== 'none') throw new AlertError(AlertErrorCode.AlreadyExists, `alert ${command.alertId} exists`);
      return [
        {
          type: 'AlertRaised',
          data: {
            alertId: command.alertId,
            rule: command.rule,
            severity: command.severity,
            score: command.score,
            userId: command.userId,
            summary: command.summary,
            evidence: [...new Set(command.evidence)].slice(0, MAX_EVIDENCE),
            count: 1,
            firstSeenAt: command.at,
            lastSeenAt: command.at,
          },
        },
      ];
    case 'RecordRepeat': {
      existing(state);
      if (closed(state.status)) throw new AlertError(AlertErrorCode.Closed, `alert ${state.alertId} is closed`);
      if (!Number.isInteger(command.times) || command.times < 1) throw new Error(`a repeat counts 1 or more times, not ${command.times}`);
      const known = new Set(state.evidence);
      const room = Math.max(0, MAX_EVIDENCE - state.evidence.length);
      return [
        {
          type: 'AlertUpdated',
          data: {
            alertId: state.alertId,
            rule: state.rule,
            userId: state.userId,
            severity: maxSeverity(state.severity, command.severity),
            score: Math.max(state.score, command.score),
            addedEvidence: [...new Set(command.evidence.filter((id) => !known.has(id)))].slice(0, room),
            count: state.count + command.times,
            lastSeenAt: command.at,
          },
        },
      ];
    }
    case 'AcknowledgeAlert':
      existing(state);
      if (closed(state.status)) throw new AlertError(AlertErrorCode.Closed, `alert ${state.alertId} is closed`);
      if (state.status === 'acknowledged') return [];
      return [{ type: 'AlertAcknowledged', data: { alertId: state.alertId, userId: state.userId, by: command.by } }];
    case 'ResolveAlert':
      existing(state);
      if (closed(state.status)) throw new AlertError(AlertErrorCode.Closed, `alert ${state.alertId} is already ${state.status}`);
      return [
        {
          type: 'AlertResolved',
          data: {
            alertId: state.alertId,
            rule: state.rule,
            userId: state.userId,
            by: command.by,
            resolution: command.resolution,
            comment: command.comment,
          },
        },
      ];
    case 'RecordResponse':
      existing(state);
      if (!state.userId) throw new AlertError(AlertErrorCode.ResponseNotTaken, 'an alert about no user takes no response');
      if (command.undo ? !state.responses.includes(command.response) : state.responses.includes(command.response)) return [];
      return [
        {
          type: 'AlertResponseTaken',
          data: {
            alertId: state.alertId,
            userId: state.userId,
            response: command.response,
            undo: command.undo,
            reference: command.reference,
          },
        },
      ];
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${(unknown as { type: string }).type}`);
    }
  }
}

export function evolveAlert(state: AlertState, event: AlertEvent): AlertState {
  switch (event.type) {
    case 'AlertRaised':
      return {
        ...state,
        alertId: event.data.alertId,
        rule: event.data.rule,
        userId: event.data.userId,
        status: 'open',
        severity: event.data.severity,
        score: event.data.score,
        count: event.data.count,
        evidence: event.data.evidence,
      };
    case 'AlertUpdated':
      return {
        ...state,
        severity: event.data.severity,
        score: event.data.score,
        count: event.data.count,
        evidence: [...state.evidence, ...event.data.addedEvidence],
      };
    case 'AlertAcknowledged':
      return { ...state, status: 'acknowledged' };
    case 'AlertResolved':
      return { ...state, status: event.data.resolution };
    case 'AlertResponseTaken':
      return {
        ...state,
        responses: event.data.undo
          ? state.responses.filter((r) => r !== event.data.response)
          : [...state.responses, event.data.response],
      };
    case 'AlertRuleChanged':
      return state;
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${(unknown as { type: string }).type}`);
    }
  }
}

export const alertDecider: Decider<AlertState, AlertCommand, AlertEvent> = {
  initialState: initialAlertState,
  decide: decideAlert,
  evolve: evolveAlert,
};
