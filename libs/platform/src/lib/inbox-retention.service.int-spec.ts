import type { EventStore } from '@warden/event-store';
import { quoteSchema } from '@warden/event-store';
import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { BaseConfig } from './config';
import { InboxRetention } from './inbox-retention.service';

/** The inbox's retention over a real Postgres schema. */
describe('InboxRetention', () => {
  let dataSource: DataSource;
  let schema: string;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('inbox-retention'));
  });
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  const inbox = async (consumer: string, count: number, daysAgo: number): Promise<void> => {
    await dataSource.query(
      `INSERT INTO ${quoteSchema(schema)}.processed_messages (consumer, event_id, topic, processed_at)
       SELECT $1, id, 'warden.authorization.events.v1', now() - make_interval(days => $3) FROM unnest($2::uuid[]) AS id`,
      [consumer, Array.from({ length: count }, () => uuidv7()), daysAgo],
    );
  };
  const left = async (consumer: string): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM ${quoteSchema(schema)}.processed_messages WHERE consumer = $1`, [consumer]))[0].n;

  it('deletes the records past INBOX_RETENTION_DAYS of consumers that record positions, in batches, and keeps the rest', async () => {
    await dataSource.query(
      `INSERT INTO ${quoteSchema(schema)}.consumer_positions (consumer, topic, partition, next_offset) VALUES ('projector', 'warden.authorization.events.v1', 0, 12000)`,
    );
    await inbox('projector', 11_000, 20);
    await inbox('projector', 500, 3);
    await inbox('by-hand', 200, 20);
    const config = { INBOX_RETENTION_DAYS: 14, INBOX_SWEEP_MS: 3_600_000 } as BaseConfig;
    const retention = new InboxRetention(config, { schema } as EventStore, dataSource);

    expect(await retention.sweep()).toBe(11_000);
    expect(await left('projector')).toBe(500);
    expect(await left('by-hand')).toBe(200);
    expect(await retention.sweep()).toBe(0);
  });
});
