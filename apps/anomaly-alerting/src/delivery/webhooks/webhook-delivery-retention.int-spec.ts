import { eventRegistry } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { anomalyAlertingMigrations } from '../../core/anomaly-alerting.migrations';
import type { AnomalyAlertingConfig } from '../../core/config';
import { WebhookDeliveryRetention } from './webhook-delivery-retention';

const DAY = 86_400_000;
const config = {
  ANOMALY_ALERTING_WEBHOOK_DELIVERY_RETENTION_DAYS: 30,
  ANOMALY_ALERTING_WEBHOOK_DELIVERY_SWEEP_MS: 3_600_000,
} as AnomalyAlertingConfig;

type Status = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** Webhook delivery retention over a real Postgres schema: old finished deliveries go, the rest stay. */
describe('WebhookDeliveryRetention', () => {
  let dataSource: DataSource;
  let store: EventStore;
  const schema = uniqueName('t_aa_deliveries');
  const webhookId = uuidv7();
  const now = new Date();

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema('aa-deliveries', anomalyAlertingMigrations(schema), schema));
    store = new EventStore({ dataSource, schema, registry: eventRegistry });
    await dataSource.query(
      `INSERT INTO "${schema}".webhooks (id, url, min_severity, secret_key, secret_ciphertext, created_by)
       VALUES ($1, 'https://hooks.example.org/warden', 'low', '{}'::jsonb, 'sealed', 'test')`,
      [webhookId],
    );
  });
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  /** `n` deliveries in `status`, queued `daysAgo` days before `now`; their ids. */
  const queue = async (n: number, status: Status, daysAgo: number): Promise<string[]> => {
    const at = new Date(now.getTime() - daysAgo * DAY);
    const rows: Array<{ id: string }> = await dataSource.query(
      `INSERT INTO "${schema}".webhook_deliveries (webhook_id, event_id, event_type, alert_id, body, status, attempts, delivered_at, created_at)
       SELECT $1, gen_random_uuid(), 'AlertRaised', gen_random_uuid(), '{}', $2::text, 1,
              CASE WHEN $2::text = 'delivered' THEN $3::timestamptz END, $3::timestamptz
       FROM generate_series(1, $4::int)
       RETURNING id`,
      [webhookId, status, at, n],
    );
    return rows.map((row) => String(row.id));
  };
  const present = async (ids: string[]): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".webhook_deliveries WHERE id = ANY($1::bigint[])`, [ids]))[0].n;
  const retention = () => new WebhookDeliveryRetention(config, store, dataSource);

  it('deletes the finished deliveries past the retention, in batches, and keeps pending and recent ones', async () => {
    const delivered = await queue(6_000, 'delivered', 31);
    const failed = await queue(10, 'failed', 31);
    const cancelled = await queue(5, 'cancelled', 31);
    const pending = await queue(7, 'pending', 60);
    const recent = [...(await queue(20, 'delivered', 29)), ...(await queue(3, 'failed', 29)), ...(await queue(2, 'cancelled', 29))];

    const sweeper = retention();
    expect(await sweeper.sweep(now)).toBe(6_015);
    expect(await present([...delivered, ...failed, ...cancelled])).toBe(0);
    expect(await present(pending)).toBe(7);
    expect(await present(recent)).toBe(25);
    expect(await sweeper.sweep(now)).toBe(0);

    // The recent ones expire in their turn; the pending ones never do.
    expect(await sweeper.sweep(new Date(now.getTime() + 2 * DAY))).toBe(25);
    expect(await present(pending)).toBe(7);
  });

  it('lets instances sweep at once: each delivery is deleted once, none is waited on', async () => {
    const old = await queue(12_000, 'delivered', 40);
    const [first, second] = await Promise.all([retention().sweep(now), retention().sweep(now)]);
    expect(first + second).toBe(12_000);
    expect(await present(old)).toBe(0);
  });

  it('skips a delivery another transaction holds and deletes it at a later round', async () => {
    const old = await queue(10, 'failed', 40);
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.startTransaction();
      await holder.query(`SELECT id FROM "${schema}".webhook_deliveries WHERE id = $1 FOR UPDATE`, [old[0]]);
      expect(await retention().sweep(now)).toBe(9);
      expect(await present(old)).toBe(1);
      await holder.rollbackTransaction();
    } finally {
      await holder.release();
    }
    expect(await retention().sweep(now)).toBe(1);
    expect(await present(old)).toBe(0);
  });

  it('stops after the statement under way when the service shuts down', async () => {
    const old = await queue(12_000, 'cancelled', 40);
    const sweeper = retention();
    const round = sweeper.sweep(now);
    await sweeper.onApplicationShutdown();
    expect(await round).toBe(5_000);
    expect(await present(old)).toBe(7_000);
    expect(await retention().sweep(now)).toBe(7_000);
  });
});
