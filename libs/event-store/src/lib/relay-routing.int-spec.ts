import {
  createTestSchema,
  createTopics,
  dropTestSchema,
  readTopic,
  testKafka,
  testProducer,
  uniqueTopicPrefix,
  logEnd,
  waitForCheckpoint,
} from '@warden/testing';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { increment, metadata, testRegistry } from '../test/test-events';
import { EventStore } from './event-store';
import { EventRelay } from './relay';

describe('EventRelay with topicFor', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;
  let kafka: Kafka;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('relay_routing'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
    kafka = testKafka();
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  it('publishes the streams it routes to their topic and the others to the default topic, in stream order', async () => {
    const prefix = uniqueTopicPrefix('relay-routing');
    const [events, access] = [`${prefix}events`, `${prefix}access`];
    await createTopics(kafka, [events, access]);
    const relay = new EventRelay({
      dataSource,
      store,
      producer: testProducer(kafka),
      topic: events,
      topicFor: (row) => (row.streamId.startsWith('access-') ? access : null),
      batchSize: 4,
    });
    relay.start();
    try {
      // Interleaved so that batches hold both kinds.
      for (let i = 1; i <= 5; i += 1) {
        await store.append('counter-1', [increment(i)], { expectedVersion: i - 1, metadata: metadata() });
        await store.append('access-u1', [increment(100 + i)], { expectedVersion: i - 1, metadata: metadata() });
        await store.append('access-u2', [increment(200 + i)], { expectedVersion: i - 1, metadata: metadata() });
      }
      const last = await logEnd(dataSource, schema);
      await waitForCheckpoint(relay, last);
    } finally {
      await relay.stop();
    }
    const onEvents = await readTopic(kafka, events, { count: 5, timeoutMs: 20_000 });
    const onAccess = await readTopic(kafka, access, { count: 10, timeoutMs: 20_000 });
    expect(onEvents.map((m) => m.key)).toEqual(Array.from({ length: 5 }, () => 'counter-1'));
    expect(onEvents.map((m) => JSON.parse(m.value).streamVersion)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(onAccess.map((m) => m.key))).toEqual(new Set(['access-u1', 'access-u2']));
    for (const key of ['access-u1', 'access-u2']) {
      const versions = onAccess.filter((m) => m.key === key).map((m) => JSON.parse(m.value).streamVersion);
      expect(versions).toEqual([1, 2, 3, 4, 5]);
    }
    expect(onAccess.every((m) => m.headers['event-type'] === 'CounterIncremented')).toBe(true);
  });
});
