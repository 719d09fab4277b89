import type { EventStore } from '@warden/event-store';
import { quoteSchema } from '@warden/event-store';
import { ensureTopics } from '@warden/messaging';
import { createTestSchema, dropTestSchema, testKafka, uniqueTopicPrefix } from '@warden/testing';
import type { Admin } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { ConsumerLagMetric } from './consumer-lag.metric';
import { Metrics } from './metrics';

jest.setTimeout(30_000);

/** The consumer lag gauge against a real Kafka topic and positions in a real Postgres schema. */
describe('ConsumerLagMetric', () => {
  let dataSource: DataSource;
  let schema: string;
  let admin: Admin;
  const kafka = testKafka('consumer-lag-spec');

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('consumer-lag'));
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await dropTestSchema(dataSource, schema);
  });

  it('reports, per group and partition, the messages past the position recorded in Postgres', async () => {
    const topic = `${uniqueTopicPrefix('lag')}events`;
    await ensureTopics(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `m${i}` })) });
    await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'x' }] });
    await producer.disconnect();
    await dataSource.query(
      `INSERT INTO ${quoteSchema(schema)}.consumer_positions (consumer, topic, partition, next_offset) VALUES ('projector', $1, 0, 2), ('projector', $1, 1, 1), ('detector', $1, 0, 5)`,
      [topic],
    );

    const metrics = new Metrics();
    new ConsumerLagMetric(metrics, { schema } as EventStore, dataSource, admin);
    const text = await metrics.registry.getSingleMetricAsString('warden_consumer_lag_messages');
    expect(text).toContain(`warden_consumer_lag_messages{consumer="projector",topic="${topic}",partition="0"} 3`);
    expect(text).toContain(`warden_consumer_lag_messages{consumer="projector",topic="${topic}",partition="1"} 0`);
    expect(text).toContain(`warden_consumer_lag_messages{consumer="detector",topic="${topic}",partition="0"} 0`);
  });

  it('leaves the gauge empty, within the scrape timeout, when Kafka does not answer', async () => {
    await dataSource.query(
      `INSERT INTO ${quoteSchema(schema)}.consumer_positions (consumer, topic, partition, next_offset) VALUES ('projector', 'unreachable', 0, 2)`,
    );
    const unreachable = testKafka('consumer-lag-spec', ['127.0.0.1:1']).admin();
    const metrics = new Metrics();
    new ConsumerLagMetric(metrics, { schema } as EventStore, dataSource, unreachable);
    const started = Date.now();
    const text = await metrics.registry.getSingleMetricAsString('warden_consumer_lag_messages');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(text).not.toContain('warden_consumer_lag_messages{');
    await unreachable.disconnect().catch(() => undefined);
  });
});
