import type { OffboardingEvent, OffboardingRequestedData } from '@warden/contracts';
import type { OffboardingCommand } from './offboarding.commands';
import { decide, evolve, initialCaseState, nextAction, type CaseState, type OpenCase } from './offboarding.decider';
import { OffboardingError, OffboardingErrorCode } from './offboarding.exception';

function given(past: readonly OffboardingEvent[]) {
  const state = past.reduce<CaseState>(evolve, initialCaseState);
  return {
    state,
    when(command: OffboardingCommand) {
      const run = () => decide(command, state);
      return {
        then(expected: readonly OffboardingEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: OffboardingErrorCode, status: number): OffboardingError {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(OffboardingError);
          expect(thrown).toMatchObject({ code, status });
          return thrown as OffboardingError;
        },
      };
    },
  };
}

const caseId = '01940000-0000-7000-8000-0000000000c1';
const userId = '01940000-0000-7000-8000-0000000000a1';
const successorId = '01940000-0000-7000-8000-0000000000b1';
const transferId = '01940000-0000-7000-8000-0000000000d1';
const commandId = '01940000-0000-7000-8000-0000000000e1';
const exportsCommandId = '01940000-0000-7000-8000-0000000000e2';
const reportId = '01940000-0000-7000-8000-0000000000f1';
const NOW = '2030-03-01T09:00:00.000Z';
const LATER = '2030-03-15T17:00:00.000Z';

const request = (overrides: Partial<OffboardingRequestedData> = {}): OffboardingRequestedData => ({
  caseId,
  userId,
  successorId,
  successorPoolId: null,
  effectiveAt: NOW,
  reason: 'resigned',
  notes: null,
  source: 'hr',
  requestedBy: 'hr-user',
  ...overrides,
});
const base = { caseId, userId, effectiveAt: NOW };
const summary = { logins: 3, customersViewed: 12, reveals: 1, exports: 2, downloads: 1, alerts: 0 };

const requested = (o: Partial<OffboardingRequestedData> = {}): OffboardingEvent => ({ type: 'OffboardingRequested', data: request(o) });
const tookEffect: OffboardingEvent = { type: 'OffboardingTookEffect', data: base };
const frozen: OffboardingEvent = {
  type: 'AccessFrozen',
  data: { caseId, userId, sessionsRevoked: 2, grantsRevoked: 1, exportsCommandId },
};
const handoverStarted: OffboardingEvent = {
  type: 'HandoverStarted',
  data: { caseId, userId, transferId, successorId, successorPoolUserIds: null, commandId },
};
const handoverCompleted: OffboardingEvent = { type: 'HandoverCompleted', data: { caseId, transferId, count: 10 } };
const reportGenerated: OffboardingEvent = {
  type: 'ReportGenerated',
  data: { caseId, userId, reportId, periodDays: 90, summary },
};
const reportReady: OffboardingEvent = {
  type: 'LeaverReportReady',
  data: { caseId, userId, reportId, link: `/v1/offboardings/${caseId}/report`, audience: ['hr', 'security_officer'] },
};
const effectiveCase = [requested(), tookEffect];
const frozenCase = [...effectiveCase, frozen];
const handedOverCase = [...frozenCase, handoverStarted, handoverCompleted];
const reportedCase = [...handedOverCase, reportGenerated, reportReady];
const scheduledCase = [
  requested({ effectiveAt: LATER }),
  { type: 'OffboardingScheduled', data: { ...base, effectiveAt: LATER } } as OffboardingEvent,
];
const failure = (step: 'freeze' | 'handover' | 'report' | 'markDeparting', permanent = false): OffboardingCommand => ({
  type: 'RecordStepFailure',
  data: { step, error: 'authorization did not answer', nextAttemptAt: LATER, maxAttempts: 3, permanent },
});
const failed = (step: 'freeze' | 'handover', attempt: number): OffboardingEvent => ({
  type: 'OffboardingStepFailed',
  data: { caseId, step, attempt, error: 'authorization did not answer', nextAttemptAt: LATER },
});
const open = (state: CaseState): OpenCase => {
  if (state.status === 'none') throw new Error('no case');
  return state;
};

describe('Offboarding case', () => {
  describe('RequestOffboarding', () => {
    it('takes effect at once when effectiveAt is now or past', () => {
      given([])
        .when({ type: 'RequestOffboarding', data: request(), now: NOW })
        .then([requested(), tookEffect]);
    });

    it('is scheduled when effectiveAt is in the future', () => {
      given([])
        .when({ type: 'RequestOffboarding', data: request({ effectiveAt: LATER }), now: NOW })
        .then(scheduledCase);
    });

    it('refuses a second request for the same case (409)', () => {
      given(effectiveCase)
        .when({ type: 'RequestOffboarding', data: request(), now: NOW })
        .thenThrows(OffboardingErrorCode.AlreadyExists, 409);
    });
  });

  describe('before the date', () => {
    it('records the user marked departing once', () => {
      given(scheduledCase)
        .when({ type: 'RecordDepartingMarked' })
        .then([{ type: 'UserMarkedDepartingRecorded', data: { ...base, effectiveAt: LATER } }]);
      given([...scheduledCase, { type: 'UserMarkedDepartingRecorded', data: { ...base, effectiveAt: LATER } }])
        .when({ type: 'RecordDepartingMarked' })
        .then([]);
    });

    it('refuses to take effect early (409)', () => {
      given(scheduledCase).when({ type: 'TakeEffect', now: NOW }).thenThrows(OffboardingErrorCode.NotDue, 409);
    });

    it('takes effect at its date, once', () => {
      given(scheduledCase)
        .when({ type: 'TakeEffect', now: LATER })
        .then([{ type: 'OffboardingTookEffect', data: { ...base, effectiveAt: LATER } }]);
      given(effectiveCase).when({ type: 'TakeEffect', now: LATER }).then([]);
    });

    it('takes effect early when the identity provider deprovisions the user', () => {
      given(scheduledCase)
        .when({ type: 'TakeEffect', now: NOW, early: true })
        .then([{ type: 'OffboardingTookEffect', data: base }]);
    });

    it('may be cancelled', () => {
      given(scheduledCase)
        .when({ type: 'CancelOffboarding', data: { cancelledBy: 'hr-user', reason: 'stays after all' } })
        .then([{ type: 'OffboardingCancelled', data: { caseId, userId, cancelledBy: 'hr-user', reason: 'stays after all' } }]);
    });

    it('does not take effect once cancelled (409)', () => {
      given([...scheduledCase, { type: 'OffboardingCancelled', data: { caseId, userId, cancelledBy: 'x', reason: null } }])
        .when({ type: 'TakeEffect', now: LATER })
        .thenThrows(OffboardingErrorCode.Cancelled, 409);
    });
  });

  describe('CancelOffboarding', () => {
    it('is refused once the case took effect (409)', () => {
      const error = given(effectiveCase)
        .when({ type: 'CancelOffboarding', data: { cancelledBy: 'hr-user', reason: null } })
        .thenThrows(OffboardingErrorCode.AlreadyEffective, 409);
      expect(error.message).toMatch(/already taken effect/);
    });

    it('is refused for a case that does not exist (404)', () => {
      given([])
        .when({ type: 'CancelOffboarding', data: { cancelledBy: 'hr-user', reason: null } })
        .thenThrows(OffboardingErrorCode.NotFound, 404);
    });
  });

  describe('the saga steps', () => {
    it('goes freeze → handover → report → complete', () => {
      const at = (events: OffboardingEvent[]) => nextAction(open(given(events).state));
      expect(at(scheduledCase)).toBe('markDeparting');
      expect(at(effectiveCase)).toBe('freeze');
      expect(at(frozenCase)).toBe('handover');
      expect(at([...frozenCase, handoverStarted])).toBe('handover');
      expect(at(handedOverCase)).toBe('report');
      expect(at(reportedCase)).toBe('complete');
    });

    const freezeCommandId = '01940000-0000-7000-8000-0000000000e3';
    const answer = (command: 'FreezeUserAccess' | 'CancelUserExports', outcome: Record<string, number | boolean>): OffboardingCommand => ({
      type: 'RecordFreezeAnswer',
      data: { commandId: command === 'FreezeUserAccess' ? freezeCommandId : exportsCommandId, command, outcome },
    });
    const answered = (command: 'FreezeUserAccess' | 'CancelUserExports', outcome: Record<string, number | boolean>): OffboardingEvent => ({
      type: 'OffboardingCommandAnswered',
      data: { caseId, step: 'freeze', commandId: command === 'FreezeUserAccess' ? freezeCommandId : exportsCommandId, command, outcome },
    });
    const freezeStarted: OffboardingEvent = {
      type: 'OffboardingStepStarted',
      data: {
        caseId,
        step: 'freeze',
        commands: [
          { commandId: freezeCommandId, command: 'FreezeUserAccess' },
          { commandId: exportsCommandId, command: 'CancelUserExports' },
        ],
        answerBy: LATER,
      },
    };
    const startFreeze: OffboardingCommand = {
      type: 'StartStep',
      data: { step: 'freeze', commands: (freezeStarted.data as { commands: Array<{ commandId: string; command: 'FreezeUserAccess' }> }).commands, answerBy: LATER },
    };
    const authz = { sessionsRevoked: 2, grantsRevoked: 1, alreadyFrozen: false };

    it('starts the freeze once, when the case took effect', () => {
      given(effectiveCase).when(startFreeze).then([freezeStarted]);
      given([...effectiveCase, freezeStarted]).when(startFreeze).then([]);
      given(scheduledCase).when(startFreeze).then([]);
      // After a failed attempt the step is started again.
      given([...effectiveCase, freezeStarted, failed('freeze', 1)]).when(startFreeze).then([freezeStarted]);
    });

    it('is frozen once both the authorization and the exports service answered, in either order', () => {
      given([...effectiveCase, freezeStarted]).when(answer('FreezeUserAccess', authz)).then([answered('FreezeUserAccess', authz)]);
      given([...effectiveCase, freezeStarted, answered('FreezeUserAccess', authz)])
        .when(answer('CancelUserExports', { cancelled: 1 }))
        .then([answered('CancelUserExports', { cancelled: 1 }), frozen]);
      given([...effectiveCase, freezeStarted, answered('CancelUserExports', { cancelled: 0 })])
        .when(answer('FreezeUserAccess', authz))
        .then([answered('FreezeUserAccess', authz), frozen]);
      expect(nextAction(open(given([...effectiveCase, freezeStarted, answered('FreezeUserAccess', authz)]).state))).toBe('freeze');
    });

    it('takes the first answer of each command and ignores answers once frozen', () => {
      const half = [...effectiveCase, freezeStarted, answered('FreezeUserAccess', authz)];
      given(half).when(answer('FreezeUserAccess', { sessionsRevoked: 0, grantsRevoked: 0, alreadyFrozen: true })).then([]);
      given(frozenCase).when(answer('CancelUserExports', { cancelled: 0 })).then([]);
    });

    it('does not freeze before the case took effect', () => {
      given(scheduledCase).when(answer('FreezeUserAccess', authz)).then([]);
    });

    it('counts only numbers it understands from the answer', () => {
      const odd = { sessionsRevoked: -3, grantsRevoked: 1.5, alreadyFrozen: false };
      given([...effectiveCase, freezeStarted, answered('CancelUserExports', { cancelled: 0 })])
        .when(answer('FreezeUserAccess', odd))
        .then([
          answered('FreezeUserAccess', odd),
          { type: 'AccessFrozen', data: { caseId, userId, sessionsRevoked: 0, grantsRevoked: 0, exportsCommandId } },
        ]);
    });

    it('resumes a freeze that needed attention when a late answer completes it', () => {
      const past = [
        ...effectiveCase,
        freezeStarted,
        answered('CancelUserExports', { cancelled: 0 }),
        failed('freeze', 1),
        { type: 'OffboardingNeedsAttention', data: { caseId, step: 'freeze', attempts: 1, reason: 'x' } } as OffboardingEvent,
      ];
      given(past)
        .when(answer('FreezeUserAccess', authz))
        .then([
          { type: 'OffboardingStepRetried', data: { caseId, step: 'freeze', retriedBy: 'system:offboarding' } },
          answered('FreezeUserAccess', authz),
          frozen,
        ]);
    });

    it('starts the hand-over once, after the freeze', () => {
      const start: OffboardingCommand = {
        type: 'StartHandover',
        data: { transferId, commandId, successorId, successorPoolUserIds: null },
      };
      given(effectiveCase).when(start).then([]);
      given(frozenCase).when(start).then([handoverStarted]);
      given([...frozenCase, handoverStarted]).when(start).then([]);
    });

    it('records progress that moves forward only', () => {
      const progressed = (done: number): OffboardingEvent => ({ type: 'HandoverProgressed', data: { caseId, transferId, done, total: 10 } });
      const progress = (done: number): OffboardingCommand => ({ type: 'RecordHandoverProgress', data: { transferId, done, total: 10 } });
      given([...frozenCase, handoverStarted]).when(progress(5)).then([progressed(5)]);
      given([...frozenCase, handoverStarted, progressed(5)]).when(progress(5)).then([]);
      given([...frozenCase, handoverStarted, progressed(5)]).when(progress(3)).then([]);
      given(handedOverCase).when(progress(10)).then([]);
    });

    it('ignores answers about another transfer', () => {
      given([...frozenCase, handoverStarted])
        .when({ type: 'CompleteHandover', data: { transferId: commandId, count: 3 } })
        .then([]);
    });

    it('resumes a case that needed attention for a silent hand-over when the answer arrives late', () => {
      const timedOut = 'customer-records has not answered';
      const attention: OffboardingEvent[] = [
        ...frozenCase,
        handoverStarted,
        { type: 'OffboardingStepFailed', data: { caseId, step: 'handover', attempt: 1, error: timedOut, nextAttemptAt: LATER } },
        { type: 'OffboardingNeedsAttention', data: { caseId, step: 'handover', attempts: 1, reason: timedOut } },
      ];
      const resumed: OffboardingEvent = { type: 'OffboardingStepRetried', data: { caseId, step: 'handover', retriedBy: 'system:offboarding' } };
      given(attention).when({ type: 'CompleteHandover', data: { transferId, count: 10 } }).then([resumed, handoverCompleted]);
      const after = given([...attention, resumed, handoverCompleted]).state as OpenCase;
      expect({ status: after.status, attention: after.attention, next: nextAction(after) }).toEqual({ status: 'in_progress', attention: null, next: 'report' });
      const progressed: OffboardingEvent = { type: 'HandoverProgressed', data: { caseId, transferId, done: 5, total: 10 } };
      given(attention).when({ type: 'RecordHandoverProgress', data: { transferId, done: 5, total: 10 } }).then([resumed, progressed]);
      // An answer about another transfer resumes nothing.
      given(attention).when({ type: 'CompleteHandover', data: { transferId: commandId, count: 3 } }).then([]);
    });

    it('completes the hand-over once', () => {
      const complete: OffboardingCommand = { type: 'CompleteHandover', data: { transferId, count: 10 } };
      given([...frozenCase, handoverStarted]).when(complete).then([handoverCompleted]);
      given(handedOverCase).when(complete).then([]);
    });

    it('records the report with its link for HR and security, once', () => {
      const record: OffboardingCommand = {
        type: 'RecordReport',
        data: { reportId, periodDays: 90, summary, link: `/v1/offboardings/${caseId}/report` },
      };
      given(frozenCase).when(record).then([]);
      given(handedOverCase).when(record).then([reportGenerated, reportReady]);
      given(reportedCase).when(record).then([]);
    });

    it('completes with a summary of every step', () => {
      given(reportedCase)
        .when({ type: 'CompleteOffboarding' })
        .then([
          {
            type: 'OffboardingCompleted',
            data: {
              caseId,
              userId,
              summary: {
                sessionsRevoked: 2,
                grantsRevoked: 1,
                customersTransferred: 10,
                successorId,
                reportId,
                tookEffectAt: NOW,
              },
            },
          },
        ]);
    });

    it('does not complete before the report', () => {
      given(handedOverCase).when({ type: 'CompleteOffboarding' }).then([]);
    });
  });

  describe('failures', () => {
    it('counts failed attempts of the current step', () => {
      given(effectiveCase).when(failure('freeze')).then([failed('freeze', 1)]);
      given([...effectiveCase, failed('freeze', 1)]).when(failure('freeze')).then([failed('freeze', 2)]);
    });

    it('needs attention after the last allowed attempt, with the reason', () => {
      given([...effectiveCase, failed('freeze', 1), failed('freeze', 2)])
        .when(failure('freeze'))
        .then([
          failed('freeze', 3),
          { type: 'OffboardingNeedsAttention', data: { caseId, step: 'freeze', attempts: 3, reason: 'authorization did not answer' } },
        ]);
    });

    it('needs attention at once for a failure retrying cannot fix', () => {
      const events = decide(failure('handover', true), given(frozenCase).state);
      expect(events.map((e) => e.type)).toEqual(['OffboardingStepFailed', 'OffboardingNeedsAttention']);
    });

    it('ignores a failure of a step that is not the current one', () => {
      given(frozenCase).when(failure('freeze')).then([]);
    });

    it('restarts the count after a step succeeded', () => {
      given([...effectiveCase, failed('freeze', 1), failed('freeze', 2), frozen])
        .when(failure('handover'))
        .then([failed('handover', 1)]);
    });

    it('stops the saga while the case needs attention', () => {
      const past = [
        ...effectiveCase,
        failed('freeze', 1),
        { type: 'OffboardingNeedsAttention', data: { caseId, step: 'freeze', attempts: 1, reason: 'x' } } as OffboardingEvent,
      ];
      expect(given(past).state.status).toBe('needs_attention');
      given(past)
        .when({ type: 'StartStep', data: { step: 'freeze', commands: [{ commandId, command: 'FreezeUserAccess' }], answerBy: LATER } })
        .then([]);
      given(past).when(failure('freeze')).then([]);
    });
  });

  describe('RetryStep', () => {
    const attention = [
      ...effectiveCase,
      failed('freeze', 1),
      { type: 'OffboardingNeedsAttention', data: { caseId, step: 'freeze', attempts: 1, reason: 'x' } } as OffboardingEvent,
    ];

    it('retries the step that needs attention and resumes the saga with a fresh count', () => {
      given(attention)
        .when({ type: 'RetryStep', data: { retriedBy: 'hr-user' } })
        .then([{ type: 'OffboardingStepRetried', data: { caseId, step: 'freeze', retriedBy: 'hr-user' } }]);
      const resumed = given([
        ...attention,
        { type: 'OffboardingStepRetried', data: { caseId, step: 'freeze', retriedBy: 'hr-user' } },
      ]).state;
      expect(resumed.status).toBe('in_progress');
      expect(decide(failure('freeze'), resumed)).toEqual([failed('freeze', 1)]);
    });

    it('is refused when the case does not need attention (409)', () => {
      given(frozenCase)
        .when({ type: 'RetryStep', data: { retriedBy: 'hr-user' } })
        .thenThrows(OffboardingErrorCode.NotNeedingAttention, 409);
    });

    it('is refused on a completed case (409)', () => {
      given([...reportedCase, ...decide({ type: 'CompleteOffboarding' }, given(reportedCase).state)])
        .when({ type: 'RetryStep', data: { retriedBy: 'hr-user' } })
        .thenThrows(OffboardingErrorCode.Completed, 409);
    });
  });
});
