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
import { EventConsumer, type BatchHandler, type BatchItem, type BatchPreparer, type ConsumerOutcome } from './consumer';
import { ensureTopics } from './kafka';

function customerRegistered(name: string): EventEnvelope {
  const unsealed = {
    eventId: uuidv7(),
    type: 'CustomerRegistered',
    schemaVersion: 1,
    streamId: `customer-${uuidv7()}`,
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    actor: systemActor('batch-consumer-spec'),
    correlationId: randomUUID(),
    causationId: null,
    data: { customerId: randomUUID(), name, company: null, tags: [], classification: 'internal', ownerId: null, teamId: null },
  };
  return { ...unsealed, globalPosition: 1, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, unsealed) };
}

const asValue = (event: EventEnvelope): string => JSON.stringify(event);
const named = (n: number): string => `customer ${String(n).padStart(3, '0')}`;

jest.setTimeout(60_000);

describe('EventConsumer in batch mode', () => {
  let dataSource: DataSource;
  let schema: string;
  let effects: string;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let running: Array<EventConsumer<unknown>> = [];

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('batch_consumer'));
    effects = `${quoteSchema(schema)}.effects`;
    await dataSource.query(
      `CREATE TABLE ${effects} (topic text NOT NULL, event_id uuid NOT NULL, name text NOT NULL, attempt int NOT NULL, tx bigint NOT NULL)`,
    );
    kafka = testKafka('batch-consumer-spec');
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

  async function freshTopic(): Promise<{ topic: string; groupId: string }> {
    const topic = `${uniqueTopicPrefix('batch')}events`;
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    return { topic, groupId: uniqueName('batch-consumer-spec') };
  }

  /** A fresh topic whose group already processed one event (`seen`, not produced yet). */
  async function freshTopicWithProcessedEvent() {
    const { topic, groupId } = await freshTopic();
    const seen = customerRegistered('A seen earlier');
    await dataSource.query(`INSERT INTO ${quoteSchema(schema)}.processed_messages (consumer, event_id, topic) VALUES ($1, $2, $3)`, [
      groupId,
      seen.eventId,
      topic,
    ]);
    return { topic, groupId, seen };
  }

  /** One produce request: the messages land in one record batch, fetched together. */
  async function produce(topic: string, values: Array<string | Buffer>): Promise<void> {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
  }

  /** The effect: one row per item, written in the batch's transaction (its id recorded). */
  const recordEffects: BatchHandler<unknown> = async (items, { manager, attempt }) => {
    await manager.query(
      `INSERT INTO ${effects} (topic, event_id, name, attempt, tx)
       SELECT $1, e.id, e.name, $4, txid_current() FROM unnest($2::uuid[], $3::text[]) AS e(id, name)`,
      [items[0].topic, items.map((i) => i.event.eventId), items.map((i) => (i.event.data as CustomerRegisteredData).name), attempt],
    );
  };

  const effectsOf = async (topic: string): Promise<Array<{ event_id: string; name: string; attempt: number; tx: string }>> =>
    dataSource.query(`SELECT event_id, name, attempt, tx FROM ${effects} WHERE topic = $1 ORDER BY name`, [topic]);

  const committedOffset = async (groupId: string, topic: string): Promise<string> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.find((p) => p.partition === 0)?.offset ?? 'none';
  };

  async function consume(
    topic: string,
    groupId: string,
    handleBatch: BatchHandler<unknown> = recordEffects,
    extra: { maxBatchSize?: number; sessionTimeoutMs?: number; prepareBatch?: BatchPreparer<unknown>; afterCommit?: (prepared: unknown) => Promise<void> } = {},
  ): Promise<{ outcomes: ConsumerOutcome[]; batches: number[]; consumer: EventConsumer<unknown> }> {
    const outcomes: ConsumerOutcome[] = [];
    const batches: number[] = [];
    const quiet = () => undefined;
    const consumer = new EventConsumer<unknown>({
      kafka,
      groupId,
      topics: [topic],
      dataSource,
      schema,
      registry: eventRegistry,
      handleBatch: async (items, context) => {
        batches.push(items.length);
        await handleBatch(items, context);
      },
      maxAttempts: 3,
      initialBackoffMs: 20,
      maxBackoffMs: 100,
      onOutcome: (_topic, outcome) => outcomes.push(outcome),
      logger: { info: quiet, warn: quiet, error: quiet },
      ...extra,
    });
    running.push(consumer);
    await consumer.start();
    return { outcomes, batches, consumer };
  }

  it('handles a fetched batch in transactions of maxBatchSize and commits the offset after them', async () => {
    const { topic, groupId } = await freshTopic();
    await produce(topic, Array.from({ length: 50 }, (_, i) => asValue(customerRegistered(named(i)))));
    const { outcomes, batches } = await consume(topic, groupId, recordEffects, { maxBatchSize: 20 });

    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('50'));
    const rows = await effectsOf(topic);
    expect(rows.map((r) => r.name)).toEqual(Array.from({ length: 50 }, (_, i) => named(i)));
    expect(batches).toEqual([20, 20, 10]);
    // The group's position in Postgres, after the last message of the last chunk.
    const positions = await dataSource.query(`SELECT partition, next_offset FROM ${quoteSchema(schema)}.consumer_positions WHERE consumer = $1`, [groupId]);
    expect(positions).toEqual([{ partition: 0, next_offset: '50' }]);
    // One transaction per chunk, and each chunk's rows share it.
    const txs = [...new Set(rows.map((r) => r.tx))];
    expect(txs).toHaveLength(3);
    expect(rows.slice(0, 20).every((r) => r.tx === rows[0].tx)).toBe(true);
    expect(outcomes).toEqual(Array.from({ length: 50 }, () => 'handled'));
  });

  it('dead-letters malformed messages of a batch with their reason and handles the valid ones around them', async () => {
    const { topic, groupId } = await freshTopic();
    const before = customerRegistered('A before');
    const invalid = { ...customerRegistered('B invalid'), tenant: 'acme' };
    const after = customerRegistered('C after');
    await produce(topic, [asValue(before), 'secret-7 is not json', JSON.stringify(invalid), asValue(after)]);
    const { outcomes, batches } = await consume(topic, groupId);

    const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 2, timeoutMs: 20_000 });
    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('4'));
    expect((await effectsOf(topic)).map((r) => r.name)).toEqual(['A before', 'C after']);
    expect(batches).toEqual([2]);
    expect([...outcomes].sort()).toEqual(['dead-lettered', 'dead-lettered', 'handled', 'handled']);
    const byOffset = dead.sort((a, b) => Number(a.headers['dlq-original-offset']) - Number(b.headers['dlq-original-offset']));
    expect(byOffset.map((m) => m.headers['dlq-original-offset'])).toEqual(['1', '2']);
    expect(byOffset.map((m) => m.headers['dlq-error-code'])).toEqual(['CONTRACT_VIOLATION', 'CONTRACT_VIOLATION']);
    expect(byOffset[0].headers['dlq-error']).toMatch(/^message is not JSON/);
    expect(byOffset[1].headers['dlq-error']).toMatch(/^invalid event envelope: .*tenant/);
    expect(byOffset[0].value).toBe('secret-7 is not json');
  });

  it('deduplicates set-wise: an event already processed and a repeat within the batch are handled once', async () => {
    const { topic, groupId, seen } = await freshTopicWithProcessedEvent();
    const twice = customerRegistered('B twice');
    const once = customerRegistered('C once');
    await produce(topic, [asValue(seen), asValue(twice), asValue(once), asValue(twice)]);
    const { outcomes, batches } = await consume(topic, groupId);

    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('4'));
    expect((await effectsOf(topic)).map((r) => r.name)).toEqual(['B twice', 'C once']);
    expect(batches).toEqual([2]);
    expect(outcomes).toEqual(['duplicate', 'handled', 'handled', 'duplicate']);
    const processed: Array<{ event_id: string }> = await dataSource.query(
      `SELECT event_id FROM ${quoteSchema(schema)}.processed_messages WHERE consumer = $1`,
      [groupId],
    );
    expect(processed.map((r) => r.event_id).sort()).toEqual([seen.eventId, twice.eventId, once.eventId].sort());
  });

  it('retries a failing message alone, dead-letters it after maxAttempts, and keeps the rest of the batch', async () => {
    const { topic, groupId } = await freshTopic();
    const events = Array.from({ length: 10 }, (_, i) => customerRegistered(named(i)));
    const poison = events[4];
    await produce(topic, events.map(asValue));
    const poisonAttempts: number[] = [];
    const { outcomes } = await consume(topic, groupId, async (items, context) => {
      await recordEffects(items, context);
      if (items.some((i) => i.event.eventId === poison.eventId)) {
        if (items.length === 1) poisonAttempts.push(context.attempt);
        throw new Error('projection rejected the row');
      }
    });

    const [dead] = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 20_000 });
    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('10'));
    expect(dead.value).toBe(asValue(poison));
    expect(dead.headers).toMatchObject({
      'dlq-error-code': 'HANDLER_FAILED',
      'dlq-error': 'projection rejected the row',
      'dlq-original-offset': '4',
      'dlq-attempts': '3',
    });
    expect(poisonAttempts).toEqual([1, 2, 3]);
    expect((await effectsOf(topic)).map((r) => r.name)).toEqual(events.filter((e) => e !== poison).map((e) => (e.data as CustomerRegisteredData).name));
    expect(outcomes.filter((o) => o === 'handled')).toHaveLength(9);
    expect(outcomes[4]).toBe('dead-lettered');
    // The halves and the single retries move the position forward only: it ends after the last message.
    const [position] = await dataSource.query(`SELECT next_offset FROM ${quoteSchema(schema)}.consumer_positions WHERE consumer = $1`, [groupId]);
    expect(position.next_offset).toBe('10');
  });

  it('commits no offset while the batch transaction is open, nor when it rolled back', async () => {
    const { topic, groupId } = await freshTopic();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = false;
    await produce(topic, [asValue(customerRegistered('A gated')), asValue(customerRegistered('B gated'))]);
    await consume(topic, groupId, async (items, context) => {
      entered = true;
      await recordEffects(items, context);
      await gate;
    });
    try {
      await expectEventually(() => expect(entered).toBe(true));
      await new Promise((r) => setTimeout(r, 500));
      expect(await committedOffset(groupId, topic)).toBe('-1');
      expect(await effectsOf(topic)).toEqual([]);
    } finally {
      release();
    }
    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('2'));
    expect(await effectsOf(topic)).toHaveLength(2);
  });

  it('keeps its group membership through a batch longer than the session timeout (heartbeats)', async () => {
    const { topic, groupId } = await freshTopic();
    await produce(topic, [asValue(customerRegistered('A slow')), asValue(customerRegistered('B slow'))]);
    const { outcomes, batches } = await consume(
      topic,
      groupId,
      async (items, context) => {
        // Longer than the 6 s session: without heartbeats the broker evicts the member, the commit
        // fails, and the batch comes back as two duplicates after the rejoin.
        await new Promise((r) => setTimeout(r, 9000));
        await recordEffects(items, context);
      },
      { sessionTimeoutMs: 6000 },
    );
    await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('2'), { timeoutMs: 40_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(batches).toEqual([2]);
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(await effectsOf(topic)).toHaveLength(2);
  });

  describe('with prepareBatch', () => {
    const nameOf = (item: BatchItem): string => String((item.event.data as CustomerRegisteredData).name);

    it('prepares only the fresh valid items, outside the transaction, and hands the result to the handler', async () => {
      const { topic, groupId, seen } = await freshTopicWithProcessedEvent();
      const twice = customerRegistered('B twice');
      const once = customerRegistered('C once');
      await produce(topic, [asValue(seen), asValue(twice), 'not json', asValue(once), asValue(twice)]);
      const prepareCalls: Array<{ names: string[]; inTransaction: boolean }> = [];
      const received: unknown[] = [];
      const { outcomes } = await consume(
        topic,
        groupId,
        async (items, context) => {
          received.push(context.prepared);
          await recordEffects(items, context);
        },
        {
          prepareBatch: async (items) => {
            // No transaction of this consumer (its statements name the suite's schema) is open meanwhile.
            const [{ open }] = await dataSource.query(
              `SELECT count(*)::int AS open FROM pg_stat_activity
               WHERE state LIKE 'idle in transaction%' AND strpos(query, $1) > 0 AND pid <> pg_backend_pid()`,
              [schema],
            );
            prepareCalls.push({ names: items.map(nameOf), inTransaction: open > 0 });
            return items.map((item) => nameOf(item).toUpperCase());
          },
        },
      );

      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('5'));
      expect(prepareCalls).toEqual([{ names: ['B twice', 'C once'], inTransaction: false }]);
      expect(received).toEqual([['B TWICE', 'C ONCE']]);
      expect((await effectsOf(topic)).map((r) => r.name)).toEqual(['B twice', 'C once']);
      expect([...outcomes].sort()).toEqual(['dead-lettered', 'duplicate', 'duplicate', 'handled', 'handled']);
    });

    it('prepares again for every retry after a failed transaction, each time with the items retried; afterCommit gets only what committed', async () => {
      const { topic, groupId } = await freshTopic();
      const events = Array.from({ length: 4 }, (_, i) => customerRegistered(named(i)));
      await produce(topic, events.map(asValue));
      const prepareCalls: string[][] = [];
      const handled: Array<{ names: string[]; prepared: unknown }> = [];
      const released: Array<{ prepared: unknown; effects: number }> = [];
      let failures = 0;
      await consume(
        topic,
        groupId,
        async (items, context) => {
          handled.push({ names: items.map(nameOf), prepared: context.prepared });
          await recordEffects(items, context);
          if (failures === 0) {
            failures += 1;
            throw new Error('lock timeout');
          }
        },
        {
          prepareBatch: async (items) => {
            prepareCalls.push(items.map(nameOf));
            return { call: prepareCalls.length, names: items.map(nameOf) };
          },
          // Called after the commit: the attempt's effects are visible by then.
          afterCommit: async (prepared) => void released.push({ prepared, effects: (await effectsOf(topic)).length }),
        },
      );

      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('4'));
      const names = events.map((e) => (e.data as CustomerRegisteredData).name);
      expect(prepareCalls).toEqual([names, names.slice(0, 2), names.slice(2)]);
      expect(handled).toEqual([
        { names, prepared: { call: 1, names } },
        { names: names.slice(0, 2), prepared: { call: 2, names: names.slice(0, 2) } },
        { names: names.slice(2), prepared: { call: 3, names: names.slice(2) } },
      ]);
      // The failed transaction left nothing behind: each effect once.
      expect((await effectsOf(topic)).map((r) => r.name)).toEqual(names);
      expect(released).toEqual([
        { prepared: { call: 2, names: names.slice(0, 2) }, effects: 2 },
        { prepared: { call: 3, names: names.slice(2) }, effects: 4 },
      ]);
    });

    it('commits the offset and keeps the effects when afterCommit fails', async () => {
      const { topic, groupId } = await freshTopic();
      const events = Array.from({ length: 3 }, (_, i) => customerRegistered(named(i)));
      await produce(topic, events.map(asValue));
      let calls = 0;
      const { outcomes } = await consume(topic, groupId, recordEffects, {
        prepareBatch: async (items) => items.length,
        afterCommit: async () => {
          calls += 1;
          throw new Error('state store unavailable');
        },
      });

      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('3'));
      expect((await effectsOf(topic)).map((r) => r.name)).toEqual(events.map((e) => (e.data as CustomerRegisteredData).name));
      expect(outcomes).toEqual(['handled', 'handled', 'handled']);
      expect(calls).toBe(1);
    });

    it('counts a failing prepareBatch as a failed attempt: the message is dead-lettered, the others handled', async () => {
      const { topic, groupId } = await freshTopic();
      const events = Array.from({ length: 4 }, (_, i) => customerRegistered(named(i)));
      const poison = events[2];
      await produce(topic, events.map(asValue));
      const { outcomes } = await consume(topic, groupId, recordEffects, {
        prepareBatch: async (items) => {
          if (items.some((i) => i.event.eventId === poison.eventId)) throw new Error('state store unavailable');
          return null;
        },
      });

      const [dead] = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 20_000 });
      await expectEventually(async () => expect(await committedOffset(groupId, topic)).toBe('4'));
      expect(dead.headers).toMatchObject({ 'dlq-error-code': 'HANDLER_FAILED', 'dlq-error': 'state store unavailable', 'dlq-original-offset': '2', 'dlq-attempts': '3' });
      expect((await effectsOf(topic)).map((r) => r.name)).toEqual([named(0), named(1), named(3)]);
      expect(outcomes[2]).toBe('dead-lettered');
    });
  });
});
