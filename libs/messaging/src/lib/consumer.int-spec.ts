import { randomUUID } from 'node:crypto';
import {
  eventRegistry,
  GENESIS_HASH,
  hashEvent,
  systemActor,
  Topics,
  type CustomerRegisteredData,
  type EventEnvelope,
} from '@warden/contracts';
import { quoteSchema } from '@warden/event-store';
import {
  createTestSchema,
  dropTestSchema,
  expectEventually,
  readTopic,
  testKafka,
  uniqueName,
  uniqueTopicPrefix,
} from '@warden/testing';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EventConsumer, type ConsumerOutcome, type EventHandler } from './consumer';
import { pruneInbox } from './inbox-retention';
import { ensureTopics } from './kafka';

/** A valid version 1 envelope of `type`, hashed as the event store would hash it. */
function sealedEvent(type: string, data: Record<string, unknown>): EventEnvelope {
  const unsealed = {
    eventId: uuidv7(),
    type,
    schemaVersion: 1,
    streamId: `customer-${uuidv7()}`,
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    actor: systemActor('consumer-spec'),
    correlationId: randomUUID(),
    causationId: null,
    data,
  };
  return { ...unsealed, globalPosition: 1, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, unsealed) };
}

/** A valid CustomerRegistered v1 envelope. */
function customerRegistered(data: Partial<CustomerRegisteredData> = {}): EventEnvelope {
  return sealedEvent('CustomerRegistered', {
    customerId: randomUUID(),
    name: 'Ada Lovelace',
    company: null,
    tags: [],
    classification: 'internal',
    ownerId: null,
    teamId: null,
    ...data,
  });
}

const asValue = (event: EventEnvelope): string => JSON.stringify(event);

// The preset's per-tier `testTimeout` does not reach project configs, and stopping a kafkajs
// consumer waits for its in-flight fetch (up to 5 s): give tests and hooks room, well under a minute.
jest.setTimeout(45_000);

describe('EventConsumer', () => {
  let dataSource: DataSource;
  let schema: string;
  let effects: string;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let running: EventConsumer[] = [];

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('consumer'));
    effects = `${quoteSchema(schema)}.effects`;
    await dataSource.query(
      `CREATE TABLE ${effects} (topic text NOT NULL, event_id uuid NOT NULL, name text NOT NULL, attempt int NOT NULL)`,
    );
    kafka = testKafka('consumer-spec');
    producer = kafka.producer({ allowAutoTopicCreation: false });
    admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
  });

  afterEach(async () => {
    // Taken first: a consumer that fails to stop must not fail every later test's hook too.
    const stopping = running;
    running = [];
    await Promise.all(stopping.map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
    await dropTestSchema(dataSource, schema);
  });

  /** A topic of the test's own with one partition, so that "after" means after, and its consumer group. */
  async function freshTopic(): Promise<{ topic: string; groupId: string }> {
    const topic = `${uniqueTopicPrefix('consumer')}events`;
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    return { topic, groupId: uniqueName('consumer-spec') };
  }

  async function produce(topic: string, ...values: Array<string | Buffer>): Promise<void> {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
  }

  /** The handler's effect: one row per call, written in the consumer's transaction. */
  const recordEffect: EventHandler = async (event, context) => {
    await context.manager.query(
      `INSERT INTO ${effects} (topic, event_id, name, attempt) VALUES ($1, $2, $3, $4)`,
      [context.topic, event.eventId, (event.data as CustomerRegisteredData).name, context.attempt],
    );
  };

  const effectsOf = async (
    topic: string,
  ): Promise<Array<{ event_id: string; name: string; attempt: number }>> =>
    dataSource.query(`SELECT event_id, name, attempt FROM ${effects} WHERE topic = $1 ORDER BY name`, [
      topic,
    ]);

  const processedBy = async (groupId: string): Promise<Array<{ event_id: string; topic: string }>> =>
    dataSource.query(
      `SELECT event_id, topic FROM ${quoteSchema(schema)}.processed_messages WHERE consumer = $1 ORDER BY processed_at`,
      [groupId],
    );

  /** Starts a consumer of `topic` and records its outcomes. */
  async function consume(
    topic: string,
    groupId: string,
    handle: EventHandler = recordEffect,
    handledTypes?: ReadonlySet<string>,
  ): Promise<{ outcomes: ConsumerOutcome[]; logged: () => string }> {
    const outcomes: ConsumerOutcome[] = [];
    const lines: string[] = [];
    const line = (message: string, context?: Record<string, unknown>) =>
      void lines.push(`${message} ${JSON.stringify(context ?? {})}`);
    const consumer = new EventConsumer({
      kafka,
      groupId,
      topics: [topic],
      dataSource,
      schema,
      registry: eventRegistry,
      handle,
      handledTypes,
      maxAttempts: 3,
      initialBackoffMs: 20,
      maxBackoffMs: 100,
      onOutcome: (_topic, outcome) => outcomes.push(outcome),
      logger: { info: line, warn: line, error: line },
    });
    running.push(consumer);
    await consumer.start();
    return { outcomes, logged: () => lines.join('\n') };
  }

  const committedOffset = async (groupId: string, topic: string): Promise<string> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.find((p) => p.partition === 0)?.offset ?? 'none';
  };

  describe('with handledTypes', () => {
    it('passes over valid events of other types without a transaction or inbox record, and commits their offsets', async () => {
      const { topic, groupId } = await freshTopic();
      const registered = customerRegistered({ name: 'Handled One' });
      const archived = sealedEvent('CustomerArchived', { customerId: randomUUID(), reason: 'not handled here' });
      await produce(topic, asValue(archived), asValue(registered), asValue(archived));
      const handled: string[] = [];
      const handle: EventHandler = async (event, context) => {
        handled.push(event.type);
        await recordEffect(event, context);
      };
      const { outcomes } = await consume(topic, groupId, handle, new Set(['CustomerRegistered']));
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('3'));
      expect(outcomes).toEqual(['skipped', 'handled', 'skipped']);
      expect(handled).toEqual(['CustomerRegistered']);
      expect((await processedBy(groupId)).map((row) => row.event_id)).toEqual([registered.eventId]);
      expect(await effectsOf(topic)).toEqual([{ event_id: registered.eventId, name: 'Handled One', attempt: 1 }]);
    });
  });

  describe('when a message breaks the contract', () => {
    it('dead-letters it with the reason and carries on with the next message', async () => {
      const { topic, groupId } = await freshTopic();
      const invalid = customerRegistered({
        classification: 'top-secret' as CustomerRegisteredData['classification'],
      });
      const notJsonValue = 'secret-42 is not json';
      await produce(topic, notJsonValue, asValue(invalid));
      const { outcomes, logged } = await consume(topic, groupId);

      const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 2, timeoutMs: 15_000 });
      const valid = customerRegistered({ name: 'Valid After Them' });
      await produce(topic, asValue(valid));

      await expectEventually(async () =>
        expect(await effectsOf(topic)).toEqual([
          { event_id: valid.eventId, name: 'Valid After Them', attempt: 1 },
        ]),
      );
      expect(outcomes).toEqual(['dead-lettered', 'dead-lettered', 'handled']);

      expect(dead).toHaveLength(2);
      const [notJson, badData] = dead.sort(
        (a, b) => Number(a.headers['dlq-original-offset']) - Number(b.headers['dlq-original-offset']),
      );
      for (const [message, offset] of [
        [notJson, '0'],
        [badData, '1'],
      ] as const) {
        expect(message.headers).toMatchObject({
          'dlq-error-code': 'CONTRACT_VIOLATION',
          'dlq-original-topic': topic,
          'dlq-original-partition': '0',
          'dlq-original-offset': offset,
          'dlq-consumer-group': groupId,
          'dlq-attempts': '1',
        });
        expect(message.key).toBe('k');
      }
      expect(notJson.value).toBe(notJsonValue);
      expect(notJson.headers['dlq-error']).toBe('message is not JSON: (root): not valid JSON');
      expect(badData.value).toBe(asValue(invalid));
      expect(badData.headers['dlq-error']).toMatch(/^invalid CustomerRegistered v1 data: classification: /);
      expect(await processedBy(groupId)).toEqual([{ event_id: valid.eventId, topic }]);
      expect(logged()).toContain('message dead-lettered');
      expect(logged()).not.toContain('secret-42');
    });

    it('dead-letters an empty message and an envelope with unknown fields', async () => {
      const { topic, groupId } = await freshTopic();
      await produce(topic, Buffer.alloc(0), JSON.stringify({ ...customerRegistered(), tenant: 'acme' }));
      const { outcomes } = await consume(topic, groupId);

      const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 2, timeoutMs: 15_000 });

      expect(dead.map((m) => m.headers['dlq-error-code'])).toEqual([
        'CONTRACT_VIOLATION',
        'CONTRACT_VIOLATION',
      ]);
      expect(dead.map((m) => m.headers['dlq-error']).sort()).toEqual([
        expect.stringMatching(/^empty message/),
        expect.stringMatching(/^invalid event envelope: .*tenant/),
      ]);
      await expectEventually(() => expect(outcomes).toEqual(['dead-lettered', 'dead-lettered']));
      expect(await effectsOf(topic)).toEqual([]);
    });
  });

  describe('when the same event is delivered twice', () => {
    it('handles it once and records it as processed', async () => {
      const { topic, groupId } = await freshTopic();
      const event = customerRegistered({ name: 'Delivered Twice' });
      await produce(topic, asValue(event), asValue(event));
      const { outcomes } = await consume(topic, groupId);

      await expectEventually(() => expect(outcomes).toEqual(['handled', 'duplicate']));
      expect(await effectsOf(topic)).toEqual([
        { event_id: event.eventId, name: 'Delivered Twice', attempt: 1 },
      ]);
      expect(await processedBy(groupId)).toEqual([{ event_id: event.eventId, topic }]);
    });

    it('handles it once per consumer group', async () => {
      const { topic, groupId } = await freshTopic();
      const event = customerRegistered({ name: 'Seen By Two Groups' });
      await produce(topic, asValue(event));
      const first = await consume(topic, groupId);
      await expectEventually(() => expect(first.outcomes).toEqual(['handled']));

      const otherGroup = uniqueName('consumer-spec-other');
      const second = await consume(topic, otherGroup, async (e, context) => {
        await context.manager.query(
          `INSERT INTO ${effects} (topic, event_id, name, attempt) VALUES ($1, $2, $3, $4)`,
          [context.topic, e.eventId, 'second group', context.attempt],
        );
      });

      await expectEventually(() => expect(second.outcomes).toEqual(['handled']));
      expect((await effectsOf(topic)).map((row) => row.name)).toEqual(['Seen By Two Groups', 'second group']);
      expect(await processedBy(otherGroup)).toEqual([{ event_id: event.eventId, topic }]);
    });
  });

  describe('when the handler fails', () => {
    it('retries it and keeps the effect of the successful attempt only', async () => {
      const { topic, groupId } = await freshTopic();
      const event = customerRegistered({ name: 'Third Time Lucky' });
      await produce(topic, asValue(event));
      const attempts: number[] = [];

      const { outcomes } = await consume(topic, groupId, async (e, context) => {
        attempts.push(context.attempt);
        await recordEffect(e, context);
        if (context.attempt < 3) throw new Error(`flaky downstream (attempt ${context.attempt})`);
      });

      await expectEventually(() => expect(outcomes).toEqual(['handled']));
      expect(attempts).toEqual([1, 2, 3]);
      expect(await effectsOf(topic)).toEqual([
        { event_id: event.eventId, name: 'Third Time Lucky', attempt: 3 },
      ]);
      expect(await processedBy(groupId)).toEqual([{ event_id: event.eventId, topic }]);
    });

    it('dead-letters a message whose handler always fails after maxAttempts, and handles the next', async () => {
      const { topic, groupId } = await freshTopic();
      const poison = customerRegistered({ name: 'Poison' });
      const next = customerRegistered({ name: 'Next In Line' });
      await produce(topic, asValue(poison), asValue(next));
      const attempts: number[] = [];

      const { outcomes } = await consume(topic, groupId, async (e, context) => {
        await recordEffect(e, context);
        if (e.eventId === poison.eventId) {
          attempts.push(context.attempt);
          throw new Error('customer projection rejected the row');
        }
      });

      const [dead] = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 15_000 });
      await expectEventually(() => expect(outcomes).toEqual(['dead-lettered', 'handled']));
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead.value).toBe(asValue(poison));
      expect(dead.headers).toMatchObject({
        'dlq-error-code': 'HANDLER_FAILED',
        'dlq-error': 'customer projection rejected the row',
        'dlq-original-topic': topic,
        'dlq-original-offset': '0',
        'dlq-attempts': '3',
      });
      expect(await effectsOf(topic)).toEqual([{ event_id: next.eventId, name: 'Next In Line', attempt: 1 }]);
      expect(await processedBy(groupId)).toEqual([{ event_id: next.eventId, topic }]);
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('2'));
    });

    it('dead-letters a handler that rejects with something other than an Error', async () => {
      const { topic, groupId } = await freshTopic();
      const poison = customerRegistered({ name: 'Rejected With A String' });
      const next = customerRegistered({ name: 'After The String' });
      await produce(topic, asValue(poison), asValue(next));

      const { outcomes } = await consume(topic, groupId, async (e, context) => {
        if (e.eventId === poison.eventId) throw 'projection unavailable';
        await recordEffect(e, context);
      });

      const [dead] = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 15_000 });
      expect(dead.headers).toMatchObject({
        'dlq-error-code': 'HANDLER_FAILED',
        'dlq-error': 'projection unavailable',
      });
      await expectEventually(() => expect(outcomes).toEqual(['dead-lettered', 'handled']));
      expect((await effectsOf(topic)).map((row) => row.name)).toEqual(['After The String']);
    });
  });

  describe('offsets', () => {
    it('are committed only after the effect, and then cover every message', async () => {
      const { topic, groupId } = await freshTopic();
      const first = customerRegistered({ name: 'A first' });
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered = false;
      const { outcomes } = await consume(topic, groupId, async (event, context) => {
        entered = true;
        if (event.eventId === first.eventId) await gate;
        await recordEffect(event, context);
      });
      await produce(topic, asValue(first));

      try {
        await expectEventually(() => expect(entered).toBe(true));
        expect(await committedOffset(groupId, topic)).toBe('-1');
        expect(await effectsOf(topic)).toEqual([]);
      } finally {
        release();
      }

      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('1'));
      expect(await effectsOf(topic)).toHaveLength(1);

      await produce(
        topic,
        asValue(customerRegistered({ name: 'B second' })),
        asValue(customerRegistered({ name: 'C third' })),
      );
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('3'));
      expect((await effectsOf(topic)).map((row) => row.name)).toEqual(['A first', 'B second', 'C third']);
      expect(outcomes).toEqual(['handled', 'handled', 'handled']);
    });
  });

  describe('stopped while it is starting', () => {
    it('never joins the group: a shutdown during boot leaves no member behind', async () => {
      const { topic, groupId } = await freshTopic();
      const consumer = new EventConsumer({ kafka, groupId, topics: [topic], dataSource, schema, registry: eventRegistry, handle: recordEffect });
      const starting = consumer.start();
      await consumer.stop();
      await starting;
      // Long enough for a member that did join to show in the group.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0].members).toEqual([]);
    });

    it('stopped while joining a group that is rebalancing, leaves it: no member is kept until its session times out', async () => {
      const { topic, groupId } = await freshTopic();
      await consume(topic, groupId);
      await expectEventually(async () => expect((await admin.describeGroups([groupId])).groups[0].members).toHaveLength(1));
      const late = new EventConsumer({ kafka, groupId, topics: [topic], dataSource, schema, registry: eventRegistry, handle: recordEffect });
      const starting = late.start().catch(() => undefined);
      // The broker holds the newcomer's JoinGroup until the first member rejoins (its next
      // heartbeat, up to 3 s): stop while it waits there.
      await expectEventually(async () => expect((await admin.describeGroups([groupId])).groups[0].state).toBe('PreparingRebalance'), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      await late.stop();
      await starting;
      // Without leaving, the newcomer stays a member for its session (30 s) and holds every rebalance.
      await expectEventually(
        async () => {
          const [group] = (await admin.describeGroups([groupId])).groups;
          expect({ state: group.state, members: group.members.length }).toEqual({ state: 'Stable', members: 1 });
        },
        { timeoutMs: 15_000, intervalMs: 250 },
      );
      await produce(topic, asValue(customerRegistered({ name: 'after the newcomer left' })));
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('1'), { timeoutMs: 15_000 });
    });
  });

  describe('positions in Postgres', () => {
    const positionsOf = async (groupId: string): Promise<Array<{ partition: number; next_offset: string }>> =>
      dataSource.query(`SELECT partition, next_offset FROM ${quoteSchema(schema)}.consumer_positions WHERE consumer = $1`, [groupId]);
    const stopAll = async () => {
      const stopping = running;
      running = [];
      await Promise.all(stopping.map((consumer) => consumer.stop()));
    };

    it('are recorded with each effect, after the last message handled', async () => {
      const { topic, groupId } = await freshTopic();
      await consume(topic, groupId);
      await produce(topic, asValue(customerRegistered({ name: 'A' })), asValue(customerRegistered({ name: 'B' })));
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('2'));
      expect(await positionsOf(groupId)).toEqual([{ partition: 0, next_offset: '2' }]);
    });

    it('resume the group where it was when Kafka has lost its offsets, even with the inbox pruned: nothing is handled twice', async () => {
      const { topic, groupId } = await freshTopic();
      await produce(topic, ...['A', 'B', 'C'].map((name) => asValue(customerRegistered({ name }))));
      await consume(topic, groupId);
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('3'));
      await stopAll();

      // Every inbox record of the group is past retention, and the broker forgets the group.
      expect(await pruneInbox(dataSource, schema, { olderThan: new Date(Date.now() + 60_000), batchSize: 2 })).toBeGreaterThanOrEqual(3);
      expect(await processedBy(groupId)).toEqual([]);
      await admin.deleteGroups([groupId]);
      expect(await committedOffset(groupId, topic)).toBe('-1');

      await produce(topic, asValue(customerRegistered({ name: 'D' })));
      const { outcomes, logged } = await consume(topic, groupId);
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('4'));
      expect((await effectsOf(topic)).map((row) => row.name)).toEqual(['A', 'B', 'C', 'D']);
      expect(outcomes).toEqual(['handled']);
      expect(logged()).toContain('resuming from the positions recorded in Postgres');
    });

    it('are taken from Kafka for partitions with progress but no position yet', async () => {
      const { topic, groupId } = await freshTopic();
      await produce(topic, asValue(customerRegistered({ name: 'A' })), asValue(customerRegistered({ name: 'B' })));
      await consume(topic, groupId);
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('2'));
      await stopAll();
      await dataSource.query(`DELETE FROM ${quoteSchema(schema)}.consumer_positions WHERE consumer = $1`, [groupId]);

      await consume(topic, groupId);
      expect(await positionsOf(groupId)).toEqual([{ partition: 0, next_offset: '2' }]);
    });

    it('let the inbox of consumers without positions be (records written outside EventConsumer)', async () => {
      const eventId = uuidv7();
      await dataSource.query(
        `INSERT INTO ${quoteSchema(schema)}.processed_messages (consumer, event_id, topic, processed_at) VALUES ('by-hand', $1, 't', now() - interval '400 days')`,
        [eventId],
      );
      await pruneInbox(dataSource, schema, { olderThan: new Date() });
      expect(await processedBy('by-hand')).toEqual([{ event_id: eventId, topic: 't' }]);
    });
  });
});
