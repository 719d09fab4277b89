import type { AlertEvent } from '@warden/contracts';
import type { AlertCommand } from './alert.commands';
import { alertDecider, MAX_EVIDENCE } from './alert.decider';
import { AlertErrorCode } from './alert.exception';

const ID = '0197a8e0-0000-7000-8000-0000000000aa';
const USER = '0197a8e0-0000-7000-8000-000000000001';
const ev = (n: number) => `0197a8e0-0000-7000-8000-${String(n).padStart(12, '0')}`;
const AT = '2026-03-02T10:00:00.000Z';

const given = (events: AlertEvent[]) => ({
  when: (command: AlertCommand) => {
    const state = events.reduce(alertDecider.evolve, alertDecider.initialState);
    const run = () => alertDecider.decide(command, state);
    return {
      then: (expected: AlertEvent[]) => expect(run()).toEqual(expected),
      thenFails: (code: AlertErrorCode) => expect(run).toThrow(expect.objectContaining({ code })),
    };
  },
});

const raised: AlertEvent = {
  type: 'AlertRaised',
  data: {
    alertId: ID,
    rule: 'brute-force',
    severity: 'medium',
    score: 50,
    userId: USER,
    summary: '10 failed logins within 10 min',
    evidence: [ev(1), ev(2)],
    count: 1,
    firstSeenAt: AT,
    lastSeenAt: AT,
  },
};

describe('Alert decider', () => {
  it('raises a new alert with count 1 and deduplicated evidence', () => {
    given([])
      .when({ type: 'RaiseAlert', alertId: ID, rule: 'brute-force', severity: 'medium', score: 50, userId: USER, summary: raised.data.summary as string, evidence: [ev(1), ev(2), ev(1)], at: AT })
      .then([raised]);
  });

  it('refuses to raise an alert twice', () => {
    given([raised])
      .when({ type: 'RaiseAlert', alertId: ID, rule: 'brute-force', severity: 'medium', score: 50, userId: USER, summary: 's', evidence: [], at: AT })
      .thenFails(AlertErrorCode.AlreadyExists);
  });

  describe('a repeat within the window', () => {
    it('counts it, keeps the higher severity and score, adds only new evidence', () => {
      given([raised])
        .when({ type: 'RecordRepeat', severity: 'critical', score: 92, evidence: [ev(3), ev(2)], at: '2026-03-02T10:05:00.000Z', times: 1 })
        .then([
          {
            type: 'AlertUpdated',
            data: { alertId: ID, rule: 'brute-force', userId: USER, severity: 'critical', score: 92, addedEvidence: [ev(3)], count: 2, lastSeenAt: '2026-03-02T10:05:00.000Z' },
          },
        ]);
    });
    it('stops adding evidence at the cap but still counts', () => {
      const full: AlertEvent = { ...raised, data: { ...raised.data, evidence: Array.from({ length: MAX_EVIDENCE }, (_, i) => ev(i + 10)) } };
      given([full])
        .when({ type: 'RecordRepeat', severity: 'low', score: 10, evidence: [ev(5)], at: AT, times: 1 })
        .then([{ type: 'AlertUpdated', data: { alertId: ID, rule: 'brute-force', userId: USER, severity: 'medium', score: 50, addedEvidence: [], count: 2, lastSeenAt: AT } }]);
    });
    it('counts every finding of a batch folded into one repeat', () => {
      given([raised])
        .when({ type: 'RecordRepeat', severity: 'medium', score: 55, evidence: [ev(3), ev(4), ev(3)], at: '2026-03-02T10:07:00.000Z', times: 4 })
        .then([
          {
            type: 'AlertUpdated',
            data: { alertId: ID, rule: 'brute-force', userId: USER, severity: 'medium', score: 55, addedEvidence: [ev(3), ev(4)], count: 5, lastSeenAt: '2026-03-02T10:07:00.000Z' },
          },
        ]);
    });
    it('refuses a repeat that counts nothing', () => {
      expect(() => alertDecider.decide({ type: 'RecordRepeat', severity: 'low', score: 10, evidence: [], at: AT, times: 0 }, [raised].reduce(alertDecider.evolve, alertDecider.initialState))).toThrow(
        'a repeat counts 1 or more times, not 0',
      );
    });
    it('is refused on a resolved alert', () => {
      given([raised, { type: 'AlertResolved', data: { alertId: ID, rule: 'brute-force', userId: USER, by: 'so', resolution: 'resolved', comment: null } }])
        .when({ type: 'RecordRepeat', severity: 'low', score: 10, evidence: [], at: AT, times: 1 })
        .thenFails(AlertErrorCode.Closed);
    });
  });

  it('acknowledges once; a second acknowledgement decides nothing', () => {
    given([raised]).when({ type: 'AcknowledgeAlert', by: 'so-1' }).then([{ type: 'AlertAcknowledged', data: { alertId: ID, userId: USER, by: 'so-1' } }]);
    given([raised, { type: 'AlertAcknowledged', data: { alertId: ID, userId: USER, by: 'so-1' } }]).when({ type: 'AcknowledgeAlert', by: 'so-2' }).then([]);
  });

  it('resolves as a false positive with a comment; resolving again is a conflict', () => {
    const resolved: AlertEvent = { type: 'AlertResolved', data: { alertId: ID, rule: 'brute-force', userId: USER, by: 'so-1', resolution: 'false_positive', comment: 'pen test' } };
    given([raised]).when({ type: 'ResolveAlert', by: 'so-1', resolution: 'false_positive', comment: 'pen test' }).then([resolved]);
    given([raised, resolved]).when({ type: 'ResolveAlert', by: 'so-1', resolution: 'resolved', comment: null }).thenFails(AlertErrorCode.Closed);
  });

  it('fails on an alert that does not exist', () => {
    given([]).when({ type: 'AcknowledgeAlert', by: 'so' }).thenFails(AlertErrorCode.NotFound);
  });

  it('records a response once, and its undoing only after it was taken', () => {
    const taken: AlertEvent = { type: 'AlertResponseTaken', data: { alertId: ID, userId: USER, response: 'end-sessions', undo: false, reference: null } };
    given([raised]).when({ type: 'RecordResponse', response: 'end-sessions', undo: false, reference: null }).then([taken]);
    given([raised, taken]).when({ type: 'RecordResponse', response: 'end-sessions', undo: false, reference: null }).then([]);
    given([raised]).when({ type: 'RecordResponse', response: 'end-sessions', undo: true, reference: null }).then([]);
    given([raised, taken])
      .when({ type: 'RecordResponse', response: 'end-sessions', undo: true, reference: null })
      .then([{ type: 'AlertResponseTaken', data: { ...taken.data, undo: true } as never }]);
  });
});
