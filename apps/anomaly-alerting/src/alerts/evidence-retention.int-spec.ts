import { eventRegistry } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { anomalyAlertingMigrations } from '../core/anomaly-alerting.migrations';
import type { AnomalyAlertingConfig } from '../core/config';
import { DEFAULT_RULE_SETTINGS } from '../detection/rule-settings';
import { T0 } from '../test/detection-fixtures';
import { AlertService } from './alert.service';
import { EvidenceRetention } from './evidence-retention';
import { alertReadModelProjection } from './projections/alert-read-model.projection';

const DAY = 86_400_000;
const config = { ANOMALY_ALERTING_EVIDENCE_RETENTION_DAYS: 45, ANOMALY_ALERTING_EVIDENCE_SWEEP_MS: 3_600_000 } as AnomalyAlertingConfig;

/** Evidence retention over a real Postgres schema: expired copies go, copies an alert names stay. */
describe('EvidenceRetention', () => {
  let dataSource: DataSource;
  let store: EventStore;
  let alerts: AlertService;
  const schema = uniqueName('t_aa_evidence');
  const now = new Date();

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema('aa-evidence', anomalyAlertingMigrations(schema), schema));
    store = new EventStore({ dataSource, schema, registry: eventRegistry, projections: [alertReadModelProjection(schema)] });
    alerts = new AlertService(store, dataSource);
  });
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  /** `n` evidence copies stored `daysAgo` days before `now`; their event ids. */
  const storeCopies = async (n: number, daysAgo: number): Promise<string[]> => {
    const ids = Array.from({ length: n }, () => uuidv7());
    await dataSource.query(
      `INSERT INTO "${schema}".evidence_events (event_id, type, occurred_at, stream_id, topic, actor, data, stored_at)
       SELECT id, 'LoginFailed', $2, 'user-x', 'warden.authorization.events.v1', '{}'::jsonb, '{}'::jsonb, $2 FROM unnest($1::uuid[]) AS id`,
      [ids, new Date(now.getTime() - daysAgo * DAY)],
    );
    return ids;
  };
  const present = async (ids: string[]): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".evidence_events WHERE event_id = ANY($1::uuid[])`, [ids]))[0].n;
  const raiseAlertNaming = (evidence: string[]) =>
    dataSource.transaction((manager) =>
      alerts.recordBatch(
        [
          {
            sightings: [
              {
                finding: { rule: 'brute-force', subject: randomUUID(), userId: randomUUID(), severity: 'high', score: 80, summary: 'test', evidence, at: T0 },
                cause: { eventId: uuidv7(), correlationId: `test-${randomUUID()}` } as never,
              },
            ],
            settings: DEFAULT_RULE_SETTINGS['brute-force'],
          },
        ],
        manager,
      ),
    );

  it('deletes the expired copies no alert names, in batches, keeps named and recent ones, and does not look at kept ones again', async () => {
    const expired = await storeCopies(12_000, 60);
    const named = await storeCopies(3, 60);
    const recent = await storeCopies(50, 10);
    await raiseAlertNaming([named[0], named[1], uuidv7()]);
    await raiseAlertNaming([named[2], recent[0]]);

    const retention = new EvidenceRetention(config, store, dataSource);
    expect(await retention.sweep(now)).toEqual({ deleted: 12_000, kept: 3 });
    expect(await present(expired)).toBe(0);
    expect(await present(named)).toBe(3);
    expect(await present(recent)).toBe(50);
    // Kept copies are marked: the next sweep has nothing to examine.
    expect(await retention.sweep(now)).toEqual({ deleted: 0, kept: 0 });
    const [{ kept }] = await dataSource.query(`SELECT count(*)::int AS kept FROM "${schema}".evidence_events WHERE kept`);
    expect(kept).toBe(3);

    // The recent copies expire in their turn (the one named by an alert stays).
    expect(await retention.sweep(new Date(now.getTime() + 40 * DAY))).toEqual({ deleted: 49, kept: 1 });
    expect(await present(recent)).toBe(1);
  });

  it('lets instances sweep at once: each copy is deleted once, none is waited on', async () => {
    const expired = await storeCopies(15_000, 50);
    const [first, second] = await Promise.all([
      new EvidenceRetention(config, store, dataSource).sweep(now),
      new EvidenceRetention(config, store, dataSource).sweep(now),
    ]);
    expect(first.deleted + second.deleted).toBe(15_000);
    expect(await present(expired)).toBe(0);
  });

  it('keeps everything younger than the retention', async () => {
    const young = await storeCopies(100, 44);
    expect(await new EvidenceRetention(config, store, dataSource).sweep(now)).toEqual({ deleted: 0, kept: 0 });
    expect(await present(young)).toBe(100);
  });
});
