import { alertStreamId, eventRegistry, systemActor, type AlertEvent, type EventEnvelope } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { anomalyAlertingMigrations } from '../core/anomaly-alerting.migrations';
import type { Finding } from '../detection/detection.types';
import { DEFAULT_RULE_SETTINGS } from '../detection/rule-settings';
import { T0 } from '../test/detection-fixtures';
import { evolveAlert, initialAlertState, type AlertState } from './alert.decider';
import { AlertService, type RecordOutcome, type Sighting } from './alert.service';
import { alertReadModelProjection } from './projections/alert-read-model.projection';

const settings = DEFAULT_RULE_SETTINGS['brute-force']; // 10 min window

/** A consumed event that caused a finding (only its ids matter here). */
const cause = (): EventEnvelope => ({ eventId: uuidv7(), correlationId: `test-${randomUUID()}` }) as EventEnvelope;

const finding = (subject: string, at: number, severity: Finding['severity'] = 'medium', score = 50): Finding => ({
  rule: 'brute-force',
  subject,
  userId: subject,
  severity,
  score,
  summary: '10 failed logins within 10 min',
  evidence: [uuidv7(), uuidv7()],
  at,
});

/** Alert service over a real Postgres schema: repeats decided from the read model, equal to replaying the stream. */
describe('AlertService', () => {
  let dataSource: DataSource;
  let store: EventStore;
  let alerts: AlertService;
  const schema = uniqueName('t_aa_alerts');

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema('aa-alerts', anomalyAlertingMigrations(schema), schema));
    store = new EventStore({ dataSource, schema, registry: eventRegistry, projections: [alertReadModelProjection(schema)] });
    alerts = new AlertService(store, dataSource);
  });
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  const record = async (sightings: Sighting[]): Promise<RecordOutcome[]> =>
    (await dataSource.transaction((manager) => alerts.recordBatch([{ sightings, settings }], manager)))[0];
  const sight = (f: Finding): Sighting => ({ finding: f, cause: cause() });
  const replay = async (alertId: string): Promise<AlertState> =>
    (await store.aggregate<AlertState>(alertStreamId(alertId), (s, e) => evolveAlert(s, e as unknown as AlertEvent), initialAlertState)).state;
  const row = async (alertId: string) =>
    (await dataSource.query(`SELECT count, status, severity, score, evidence, stream_version FROM "${schema}".alerts WHERE id = $1`, [alertId]))[0] as {
      count: number;
      status: string;
      severity: string;
      score: number;
      evidence: string[];
      stream_version: number;
    };

  afterEach(() => jest.restoreAllMocks());

  describe('when a finding repeats within the window', () => {
    it('updates the one alert from its row, without reading its stream, and the row equals the replayed stream', async () => {
      const user = randomUUID();
      const [first] = await record([sight(finding(user, T0))]);
      expect(first.raised).toBe(true);
      const aggregate = jest.spyOn(store, 'aggregate');
      const readStream = jest.spyOn(store, 'readStream');
      // One batch with 5 repeats, then 5 batches with one each; one of them more severe.
      await record(Array.from({ length: 5 }, (_, i) => sight(finding(user, T0 + (i + 1) * 1000))));
      for (let i = 6; i <= 10; i += 1) await record([sight(finding(user, T0 + i * 1000, i === 8 ? 'high' : 'medium', i === 8 ? 80 : 50))]);
      expect(aggregate).not.toHaveBeenCalled();
      expect(readStream).not.toHaveBeenCalled();
      aggregate.mockRestore();
      readStream.mockRestore();

      const state = await replay(first.alertId);
      const stored = await row(first.alertId);
      expect(state).toMatchObject({ status: 'open', count: 11, severity: 'high', score: 80 });
      // Raised, the batch of 5 folded into one update, then one update per batch.
      expect(stored).toMatchObject({ count: 11, status: 'open', severity: 'high', score: 80, stream_version: 7 });
      const events = await store.readStream(alertStreamId(first.alertId));
      // Each alert event is announced (OCSF Detection Finding) in its transaction.
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".ocsf_outbox WHERE key = $1`, [first.alertId])).toEqual([{ n: 7 }]);
      expect(events.map((e) => [e.type, e.data['count']])).toEqual([
        ['AlertRaised', 1],
        ['AlertUpdated', 6],
        ...[7, 8, 9, 10, 11].map((n) => ['AlertUpdated', n]),
      ]);
      expect(stored.evidence).toEqual(state.evidence);
      expect(await dataSource.query(`SELECT alert_id FROM "${schema}".open_alerts WHERE rule = 'brute-force' AND subject = $1`, [user])).toEqual([
        { alert_id: first.alertId },
      ]);
    });

    it('takes the acknowledgement made meanwhile into account (the row follows every event of the stream)', async () => {
      const user = randomUUID();
      const [first] = await record([sight(finding(user, T0))]);
      await alerts.handle(first.alertId, { type: 'AcknowledgeAlert', by: 'officer-1' }, { actor: systemActor('test'), correlationId: 'c', now: new Date() });
      const [repeat] = await record([sight(finding(user, T0 + 1000))]);
      expect(repeat).toEqual({ alertId: first.alertId, raised: false });
      expect(await replay(first.alertId)).toMatchObject({ status: 'acknowledged', count: 2 });
      expect(await row(first.alertId)).toMatchObject({ status: 'acknowledged', count: 2, stream_version: 3 });
    });

    it('decides from the stream an alert whose row does not name its version yet, and fills it in', async () => {
      const user = randomUUID();
      const [first] = await record([sight(finding(user, T0))]);
      await dataSource.query(`UPDATE "${schema}".alerts SET stream_version = NULL, last_hash = NULL WHERE id = $1`, [first.alertId]);
      const aggregate = jest.spyOn(store, 'aggregate');
      await record([sight(finding(user, T0 + 1000)), sight(finding(user, T0 + 2000))]);
      expect(aggregate).toHaveBeenCalledTimes(1);
      expect(await row(first.alertId)).toMatchObject({ count: 3, stream_version: 2 });
      expect(await replay(first.alertId)).toMatchObject({ count: 3 });
    });
  });

  describe('when a finding comes after the window', () => {
    it('raises a new alert, also within one batch, and later repeats go to the new one', async () => {
      const user = randomUUID();
      const window = settings.windowSeconds * 1000;
      const outcomes = await record([
        sight(finding(user, T0)),
        sight(finding(user, T0 + 1000)),
        sight(finding(user, T0 + 1000 + window + 1)),
        sight(finding(user, T0 + 2000 + window)),
      ]);
      expect(outcomes.map((o) => o.raised)).toEqual([true, false, true, false]);
      expect(outcomes[2].alertId).not.toBe(outcomes[0].alertId);
      expect(outcomes[3].alertId).toBe(outcomes[2].alertId);
      expect(await row(outcomes[0].alertId)).toMatchObject({ count: 2 });
      expect(await row(outcomes[2].alertId)).toMatchObject({ count: 2 });
      const [open] = await dataSource.query(`SELECT alert_id, last_seen_at FROM "${schema}".open_alerts WHERE rule = 'brute-force' AND subject = $1`, [user]);
      expect(open).toEqual({ alert_id: outcomes[2].alertId, last_seen_at: new Date(T0 + 2000 + window) });
    });
  });

  describe('when a batch finds several subjects', () => {
    it('keeps one alert per (rule, subject) and counts each one’s findings', async () => {
      const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
      await record([sight(finding(u2, T0))]);
      const outcomes = await dataSource.transaction((manager) =>
        alerts.recordBatch(
          [
            { settings, sightings: [sight(finding(u1, T0)), sight(finding(u1, T0 + 1000))] },
            { settings, sightings: [sight(finding(u2, T0 + 1000)), sight(finding(u2, T0 + 2000)), sight(finding(u2, T0 + 3000))] },
            { settings, sightings: [sight(finding(u3, T0))] },
          ],
          manager,
        ),
      );
      expect(outcomes.map((list) => list.map((o) => o.raised))).toEqual([[true, false], [false, false, false], [true]]);
      const counts = await dataSource.query(
        `SELECT o.subject, a.count, a.last_seen_at FROM "${schema}".open_alerts o JOIN "${schema}".alerts a ON a.id = o.alert_id WHERE o.subject = ANY($1) ORDER BY a.count`,
        [[u1, u2, u3]],
      );
      expect(counts).toEqual([
        { subject: u3, count: 1, last_seen_at: new Date(T0) },
        { subject: u1, count: 2, last_seen_at: new Date(T0 + 1000) },
        { subject: u2, count: 4, last_seen_at: new Date(T0 + 3000) },
      ]);
    });
  });

  describe('when the alert was resolved', () => {
    it('raises a new alert for the next finding', async () => {
      const user = randomUUID();
      const [first] = await record([sight(finding(user, T0))]);
      await alerts.handle(
        first.alertId,
        { type: 'ResolveAlert', by: 'officer-1', resolution: 'resolved', comment: null },
        { actor: systemActor('test'), correlationId: 'c', now: new Date() },
      );
      const [next] = await record([sight(finding(user, T0 + 1000))]);
      expect(next.raised).toBe(true);
      expect(next.alertId).not.toBe(first.alertId);
    });
  });

  describe('when two transactions find the same thing at once', () => {
    it('queues them on the open_alerts row: one alert, every repeat counted', async () => {
      const user = randomUUID();
      const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => record([sight(finding(user, T0 + i * 1000))])));
      const ids = new Set(outcomes.flat().map((o) => o.alertId));
      expect(ids.size).toBe(1);
      expect(outcomes.flat().filter((o) => o.raised)).toHaveLength(1);
      expect(await row([...ids][0])).toMatchObject({ count: 6, stream_version: 6 });
    });
  });
});
