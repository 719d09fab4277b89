import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { verifyStreamChain, type EventEnvelope } from '@warden/contracts';
import {
  createTestSchema,
  createTopics,
  testProducer,
  DedicatedBroker,
  dropTestSchema,
  expectEventually,
  readTopic,
  testKafka,
  uniqueTopicPrefix,
  logEnd,
  waitForCheckpoint,
  type ReadMessage,
} from '@warden/testing';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { increment, metadata, testRegistry } from '../test/test-events';
import { EventStore } from './event-store';
import { EventRelay, type RelayOptions } from './relay';

const envelopes = (messages: readonly ReadMessage[]): EventEnvelope[] =>
  messages.map((m) => testRegistry.decode(JSON.parse(m.value)));

/** Consumer-side dedupe by event id: what an idempotent consumer ends up applying. */
const dedupe = (events: readonly EventEnvelope[]): EventEnvelope[] => {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.eventId) ? false : (seen.add(e.eventId), true)));
};

/** Per stream, the versions in the order they arrived must be 1..n. */
const expectStreamOrder = (events: readonly EventEnvelope[]) => {
  const byStream = new Map<string, EventEnvelope[]>();
  for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
  for (const [, stream] of byStream) {
    expect(stream.map((e) => e.streamVersion)).toEqual(stream.map((_, i) => i + 1));
    expect(verifyStreamChain(stream)).toBeNull();
  }
};

/** Appends `perStream` events to each of `streams` streams; each worker owns its own streams. */
async function appendMany(store: EventStore, streams: number, perStream: number, concurrency = 10): Promise<void> {
  await Promise.all(
    Array.from({ length: Math.min(concurrency, streams) }, async (_, worker) => {
      const owned = Array.from({ length: streams }, (_, s) => s).filter((s) => s % concurrency === worker);
      const versions = await Promise.all(owned.map(async (s) => (await store.readStream(`s-${s}`)).length));
      for (let round = 0; round < perStream; round += 1) {
        for (const [k, stream] of owned.entries()) {
          await store.append(`s-${stream}`, [increment(1)], { expectedVersion: versions[k], metadata: metadata() });
          versions[k] += 1;
        }
      }
    }),
  );
}

describe('EventRelay', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;
  let kafka: Kafka;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('relay'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
    kafka = testKafka();
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  it('publishes committed events to Kafka keyed by stream id, in stream order, then moves its checkpoint', async () => {
    const topic = `${uniqueTopicPrefix('relay')}events`;
    await createTopics(kafka, [topic]);
    const relay = new EventRelay({ dataSource, store, producer: testProducer(kafka), topic, batchSize: 7 });
    relay.start();
    try {
      await appendMany(store, 5, 6);
      const last = await logEnd(dataSource, schema);
      await waitForCheckpoint(relay, last);

      const messages = await readTopic(kafka, topic, { count: 30 });
      expect(messages).toHaveLength(30);
      for (const m of messages) {
        const event = JSON.parse(m.value) as EventEnvelope;
        expect(m.key).toBe(event.streamId);
        expect(m.headers['event-id']).toBe(event.eventId);
        expect(m.headers['event-type']).toBe('CounterIncremented');
      }
      const events = envelopes(messages);
      expectStreamOrder(events);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(30);
    } finally {
      await relay.stop();
    }
  });

  /** A relay of the log to a topic of its own, recording each published batch's event ids and when each event went. */
  const watchedRelay = async (name: string, options: Pick<RelayOptions, 'coalesceMs' | 'lingerFor'>) => {
    const topic = `${uniqueTopicPrefix(`relay-${name}`)}events`;
    await createTopics(kafka, [topic]);
    const batches: string[][] = [];
    const publishedAt = new Map<string, number>();
    const relay = new EventRelay({
      dataSource,
      store,
      producer: testProducer(kafka),
      topic,
      name,
      ...options,
      onPublished: (rows) => {
        batches.push(rows.map((row) => row.eventId));
        for (const row of rows) publishedAt.set(row.eventId, performance.now());
      },
    });
    return { relay, batches, publishedAt };
  };

  it('publishes writes that arrive one at a time several per batch (coalesceMs)', async () => {
    const { relay, batches, publishedAt } = await watchedRelay('coalesce', { coalesceMs: 50 });
    const stream = `coalesce-${Date.now()}`;
    relay.start();
    try {
      await expectEventually(async () => expect(relay.isLeader).toBe(true));
      const appendedAt = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const result = await store.append(stream, [increment(1)], { expectedVersion: i, metadata: metadata() });
        appendedAt.set(result.events[0].eventId, performance.now());
        await new Promise((r) => setTimeout(r, 5));
      }
      const ours = [...appendedAt.keys()];
      await expectEventually(async () => expect(ours.filter((id) => !publishedAt.has(id))).toEqual([]));
      // 40 writes at least 5 ms apart, read at most every 50 ms: far fewer batches than writes
      // (one read, send and checkpoint per write without coalescing).
      expect(batches.length).toBeLessThan(20);
    } finally {
      await relay.stop();
    }
  });

  it('holds events that may wait (lingerFor) and sends them together once the first has waited its time', async () => {
    const prefix = `linger-${Date.now()}-`;
    const { relay, batches, publishedAt } = await watchedRelay('linger', {
      lingerFor: (row) => (row.streamId.startsWith(prefix) ? 1500 : 0),
    });
    relay.start();
    try {
      await expectEventually(async () => expect(await relay.checkpoint()).toEqual(await logEnd(dataSource, schema)));
      const appendedAt = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const result = await store.append(`${prefix}reads`, [increment(1)], { expectedVersion: i, metadata: metadata() });
        appendedAt.set(result.events[0].eventId, performance.now());
      }
      const ours = [...appendedAt.keys()];
      await expectEventually(() => expect(ours.filter((id) => !publishedAt.has(id))).toEqual([]), { timeoutMs: 10_000, intervalMs: 20 });
      // One send for the ten, in log order, and none before the first had waited its 1.5 s.
      expect(batches.filter((batch) => batch.some((id) => appendedAt.has(id)))).toEqual([ours]);
      expect((publishedAt.get(ours[0]) as number) - (appendedAt.get(ours[0]) as number)).toBeGreaterThanOrEqual(1400);
    } finally {
      await relay.stop();
    }
  });

  it('sends the held events with the first event that may not wait, in log order', async () => {
    const prefix = `linger-held-${Date.now()}-`;
    const { relay, batches } = await watchedRelay('linger-flush', {
      // Far longer than the test may take: only the event that may not wait can send them.
      lingerFor: (row) => (row.streamId.startsWith(prefix) ? 600_000 : 0),
    });
    relay.start();
    try {
      await expectEventually(async () => expect(await relay.checkpoint()).toEqual(await logEnd(dataSource, schema)));
      const ours: string[] = [];
      for (let i = 0; i < 3; i++) {
        const result = await store.append(`${prefix}reads`, [increment(1)], { expectedVersion: i, metadata: metadata() });
        ours.push(result.events[0].eventId);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(batches.flat().filter((id) => ours.includes(id))).toEqual([]);
      const plain = await store.append(`plain-${Date.now()}`, [increment(1)], { expectedVersion: 0, metadata: metadata() });
      ours.push(plain.events[0].eventId);
      await expectEventually(() => expect(batches.filter((batch) => batch.some((id) => ours.includes(id)))).toEqual([ours]), {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
    } finally {
      await relay.stop();
    }
  });

  it('only one relay per log publishes at a time (leader lock)', async () => {
    const topic = `${uniqueTopicPrefix('relay-leader')}events`;
    const a = new EventRelay({ dataSource, store, producer: testProducer(kafka), topic, name: 'leader' });
    const b = new EventRelay({ dataSource, store, producer: testProducer(kafka), topic, name: 'leader' });
    a.start();
    await expectEventually(() => expect(a.isLeader).toBe(true));
    b.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.isLeader).toBe(false);
    await a.stop();
    await expectEventually(() => expect(b.isLeader).toBe(true), { timeoutMs: 10_000 });
    await b.stop();
  });
});

describe('EventRelay when Kafka is down', () => {
  const broker = new DedicatedBroker(Number(process.env.FAULT_KAFKA_PORT ?? 19092));
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;

  beforeAll(async () => {
    await broker.reset();
    await broker.start();
    ({ dataSource, schema } = await createTestSchema('relay_down'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
  }, 180_000);
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
    await broker.reset();
  }, 60_000);

  it('keeps accepting writes and, once Kafka is back, delivers all 10,000 events exactly once after dedupe, in order', async () => {
    const kafka = testKafka('relay-down', broker.brokers);
    const topic = `${uniqueTopicPrefix('relay-down')}events`;
    await createTopics(kafka, [topic]);
    const relay = new EventRelay({
      dataSource,
      store,
      producer: testProducer(kafka),
      topic,
      batchSize: 500,
      maxBackoffMs: 1000,
    });
    relay.start();
    try {
      await appendMany(store, 100, 5);
      await waitForCheckpoint(relay, await logEnd(dataSource, schema));

      await broker.stop();
      await appendMany(store, 100, 100, 20); // 10,000 commands while Kafka is down
      const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM "${schema}".events`);
      expect(count).toBe(500 + 10_000);

      await broker.start();
      const last = await logEnd(dataSource, schema);
      await waitForCheckpoint(relay, last, 120_000);

      const messages = await readTopic(kafka, topic, {
        until: (read) => new Set(read.map((m) => m.headers['event-id'])).size >= 10_500,
        timeoutMs: 120_000,
      });
      const events = dedupe(envelopes(messages));
      expect(events).toHaveLength(10_500);
      expectStreamOrder(events);
    } finally {
      await relay.stop();
    }
  }, 400_000);
});

describe('EventRelay killed mid-batch', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('relay_kill'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  const startRelayProcess = (topic: string) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/event-store/src/test/relay-process.ts'], {
      cwd: resolve(__dirname, '../../../..'),
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        SWC_NODE_PROJECT: 'tsconfig.base.json',
        RELAY_SCHEMA: schema,
        RELAY_TOPIC: topic,
        RELAY_BATCH_SIZE: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    return { child, output: () => output };
  };

  it('loses nothing: after a SIGKILL and a restart every event is on Kafka, once after dedupe', async () => {
    const kafka = testKafka('relay-kill');
    const topic = `${uniqueTopicPrefix('relay-kill')}events`;
    await createTopics(kafka, [topic]);

    const first = startRelayProcess(topic);
    const writing = appendMany(store, 40, 50);
    await expectEventually(() => expect(first.output()).toMatch(/published/), { timeoutMs: 60_000 });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await writing;

    const second = startRelayProcess(topic);
    try {
      const last = await logEnd(dataSource, schema);
      const relayView = new EventRelay({ dataSource, store, producer: testProducer(kafka), topic });
      await waitForCheckpoint(relayView, last, 60_000);
      const messages = await readTopic(kafka, topic, {
        until: (read) => new Set(read.map((m) => m.headers['event-id'])).size >= 2000,
        timeoutMs: 60_000,
      });
      const events = dedupe(envelopes(messages));
      expect(events).toHaveLength(2000);
      expectStreamOrder(events);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 180_000);
});
