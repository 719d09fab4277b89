import type { EventEnvelope } from '@warden/contracts';
import type { Finding } from '../detection/detection.types';
import { DEFAULT_RULE_SETTINGS } from '../detection/rule-settings';
import { T0 } from '../test/detection-fixtures';
import { planGroup, type Sighting } from './alert-batch.util';
import { MAX_EVIDENCE } from './alert.decider';

const settings = DEFAULT_RULE_SETTINGS['brute-force']; // 10 min window
const WINDOW = settings.windowSeconds * 1000;
const OPEN = '0197a8e0-0000-7000-8000-0000000000aa';
const CANDIDATE = '0197a8e0-0000-7000-8000-0000000000bb';
const ev = (n: number) => `0197a8e0-0000-7000-8000-${String(n).padStart(12, '0')}`;
const cause = (n: number) => ({ eventId: ev(n), correlationId: `c-${n}` }) as EventEnvelope;

const sighting = (n: number, at: number, change: Partial<Finding> = {}): Sighting => ({
  finding: { rule: 'brute-force', subject: 'u1', userId: 'u1', severity: 'medium', score: 50, summary: 's', evidence: [ev(n)], at, ...change },
  cause: cause(n),
});
let ids = 0;
const newId = () => `0197a8e0-0000-7000-8000-1${String((ids += 1)).padStart(11, '0')}`;
const existing = (lastSeenAt: number) => ({ alert_id: OPEN, last_seen_at: new Date(lastSeenAt), inserted: false });
const fresh = { alert_id: CANDIDATE, last_seen_at: new Date(T0), inserted: true };

describe('planGroup', () => {
  describe('when the subject has an open alert seen within the window', () => {
    it('folds the batch’s repeats into one: every finding counted, highest severity and score, latest time, last cause', () => {
      const plan = planGroup(
        {
          settings,
          sightings: [sighting(1, T0 + 1000), sighting(2, T0 + 3000, { severity: 'critical', score: 90 }), sighting(3, T0 + 2000, { score: 60 })],
        },
        existing(T0),
        CANDIDATE,
        newId,
      );
      expect(plan.writes).toEqual([
        {
          alertId: OPEN,
          cause: cause(3),
          command: {
            type: 'RecordRepeat',
            severity: 'critical',
            score: 90,
            evidence: [ev(1), ev(2), ev(3)],
            at: new Date(T0 + 3000).toISOString(),
            times: 3,
          },
        },
      ]);
      expect(plan.outcomes).toEqual([1, 2, 3].map(() => ({ alertId: OPEN, raised: false })));
      expect(plan.open).toEqual({ alertId: OPEN, lastSeenAt: T0 + 3000 });
    });

    it('keeps only the first distinct evidence ids the alert can take', () => {
      const many = Array.from({ length: 30 }, (_, i) => ({ ...sighting(i, T0 + i), finding: { ...sighting(i, T0 + i).finding, evidence: [ev(i), ev(i + 1), ev(i + 2), ev(i + 3), ev(i + 4)] } }));
      const [write] = planGroup({ settings, sightings: many }, existing(T0), CANDIDATE, newId).writes;
      expect(write.command.evidence).toHaveLength(34); // ev(0)…ev(33), each once
      const storm = Array.from({ length: 300 }, (_, i) => ({ ...sighting(i, T0), finding: { ...sighting(i, T0).finding, evidence: [ev(1000 + i)] } }));
      const [big] = planGroup({ settings, sightings: storm }, existing(T0), CANDIDATE, newId).writes;
      expect(big.command.evidence).toEqual(Array.from({ length: MAX_EVIDENCE }, (_, i) => ev(1000 + i)));
      expect(big.command.type === 'RecordRepeat' && big.command.times).toBe(300);
    });
  });

  describe('when the subject has no open alert', () => {
    it('raises one under the proposed id and folds the findings after it into one repeat', () => {
      const plan = planGroup({ settings, sightings: [sighting(1, T0), sighting(2, T0 + 1000), sighting(3, T0 + 2000)] }, fresh, CANDIDATE, newId);
      expect(plan.writes.map((w) => [w.alertId, w.command.type, w.cause.eventId])).toEqual([
        [CANDIDATE, 'RaiseAlert', ev(1)],
        [CANDIDATE, 'RecordRepeat', ev(3)],
      ]);
      expect(plan.writes[1].command).toMatchObject({ times: 2, evidence: [ev(2), ev(3)] });
      expect(plan.outcomes).toEqual([
        { alertId: CANDIDATE, raised: true },
        { alertId: CANDIDATE, raised: false },
        { alertId: CANDIDATE, raised: false },
      ]);
    });
  });

  describe('when a finding comes after the window', () => {
    it('raises a new alert (the proposed id first, then new ones) and later repeats go to it', () => {
      const plan = planGroup(
        { settings, sightings: [sighting(1, T0 + 1000), sighting(2, T0 + 1000 + WINDOW + 1), sighting(3, T0 + 2000 + WINDOW), sighting(4, T0 + 10 * WINDOW)] },
        existing(T0),
        CANDIDATE,
        newId,
      );
      const third = plan.writes[3].alertId;
      expect(plan.writes.map((w) => [w.alertId, w.command.type])).toEqual([
        [OPEN, 'RecordRepeat'],
        [CANDIDATE, 'RaiseAlert'],
        [CANDIDATE, 'RecordRepeat'],
        [third, 'RaiseAlert'],
      ]);
      expect(third).not.toBe(CANDIDATE);
      expect(plan.outcomes.map((o) => o.raised)).toEqual([false, true, false, true]);
      expect(plan.open).toEqual({ alertId: third, lastSeenAt: T0 + 10 * WINDOW });
    });

    it('measures the window from the latest finding seen so far', () => {
      const plan = planGroup({ settings, sightings: [sighting(1, T0 + WINDOW), sighting(2, T0 + 2 * WINDOW)] }, existing(T0), CANDIDATE, newId);
      expect(plan.writes).toHaveLength(1);
      expect(plan.writes[0].command).toMatchObject({ type: 'RecordRepeat', times: 2 });
    });
  });
});
