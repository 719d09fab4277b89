import { verifyStreamChain } from '@warden/contracts';
import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { increment, metadata, testRegistry } from '../test/test-events';
import { BatchedAppender, BatchedAppenderClosedError } from './batched-appender';
import { EventStore } from './event-store';
import type { CommandMetadata, InlineProjection } from './event-store.types';

/** A projection that fails its transaction when an event increments by -13 (a failing batch). */
const unlucky: InlineProjection = {
  name: 'unlucky',
  handles: ['CounterIncremented'],
  async apply(events) {
    if (events.some((e) => e.data.by === -13)) throw new Error('unlucky number');
  },
};

const requestMetadata = (n: number): CommandMetadata => ({ ...metadata(), correlationId: `request-${n}` });

describe('BatchedAppender (real Postgres)', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;
  const appenders: BatchedAppender[] = [];

  const appender = (options: Partial<ConstructorParameters<typeof BatchedAppender>[0]> = {}): BatchedAppender => {
    const created = new BatchedAppender({ store, dataSource, registry: testRegistry, maxWaitMs: 5, ...options });
    appenders.push(created);
    return created;
  };
  const transactionsOf = async (streamId: string): Promise<number> => {
    const [row] = await dataSource.query(
      `SELECT count(DISTINCT transaction_id::text)::int AS n FROM "${schema}".events WHERE stream_id = $1`,
      [streamId],
    );
    return row.n;
  };

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('batched_appender'));
    store = new EventStore({ dataSource, schema, registry: testRegistry, projections: [unlucky] });
  });
  afterAll(async () => {
    await Promise.all(appenders.map((a) => a.close()));
    await dropTestSchema(dataSource, schema);
  });

  it('groups many concurrent callers of one stream into few transactions, and resolves each only after commit', async () => {
    const batched = appender();
    const callers = 300;
    const seenAtResolve: number[] = [];
    await Promise.all(
      Array.from({ length: callers }, async (_, n) => {
        await batched.record('reader-1', increment(n), requestMetadata(n));
        // Committed: another connection sees it as soon as the caller is told.
        const [row] = await dataSource.query(
          `SELECT count(*)::int AS n FROM "${schema}".events WHERE stream_id = 'reader-1' AND (data->>'by')::int = $1`,
          [n],
        );
        seenAtResolve.push(row.n);
      }),
    );
    expect(seenAtResolve).toEqual(Array.from({ length: callers }, () => 1));
    const events = await store.readStream('reader-1');
    expect(events.map((e) => e.streamVersion)).toEqual(Array.from({ length: callers }, (_, i) => i + 1));
    expect(verifyStreamChain(events)).toBeNull();
    expect(new Set(events.map((e) => e.data.by))).toEqual(new Set(Array.from({ length: callers }, (_, i) => i)));
    // Each event keeps the metadata of the request that caused it.
    for (const event of events) expect(event.correlationId).toBe(`request-${event.data.by}`);
    // 300 records, at most 200 per batch: a handful of transactions, not 300.
    expect(await transactionsOf('reader-1')).toBeLessThanOrEqual(4);
  });

  it('appends the events of one record (and of records sharing metadata) with one append, in order', async () => {
    const batched = appender();
    const shared = requestMetadata(1000);
    await Promise.all([
      batched.record('reader-2', [increment(1), increment(2)], shared),
      batched.record('reader-2', increment(3), shared),
    ]);
    const events = await store.readStream('reader-2');
    expect(events.map((e) => e.data.by)).toEqual([1, 2, 3]);
    expect(await transactionsOf('reader-2')).toBe(1);
  });

  it('writes concurrent batches over many streams without deadlock or lost records', async () => {
    const batched = appender({ maxBatch: 25, maxConcurrentBatches: 4 });
    const streams = Array.from({ length: 12 }, (_, i) => `reader-many-${i}`);
    // Each batch touches the streams in a different order; the appender locks them sorted.
    await Promise.all(
      Array.from({ length: 600 }, (_, n) => batched.record(streams[(n * 7) % streams.length], increment(n), requestMetadata(n))),
    );
    let total = 0;
    for (const streamId of streams) {
      const events = await store.readStream(streamId);
      expect(verifyStreamChain(events)).toBeNull();
      total += events.length;
    }
    expect(total).toBe(600);
  });

  it('fails every caller of a failing batch with its error, writes nothing of it, and carries on', async () => {
    const batched = appender({ maxWaitMs: 20 });
    const outcomes = await Promise.allSettled([
      batched.record('reader-3', increment(1), requestMetadata(1)),
      batched.record('reader-4', increment(-13), requestMetadata(2)),
      batched.record('reader-5', increment(2), requestMetadata(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason.message).toBe('unlucky number');
    for (const streamId of ['reader-3', 'reader-4', 'reader-5']) expect(await store.readStream(streamId)).toEqual([]);

    await batched.record('reader-3', increment(4), requestMetadata(4));
    expect((await store.readStream('reader-3')).map((e) => e.data.by)).toEqual([4]);
  });

  it('rejects only the caller whose event breaks its contract', async () => {
    const batched = appender();
    const [bad, good] = await Promise.allSettled([
      batched.record('reader-6', { type: 'CounterIncremented', data: { by: 'x' } }, requestMetadata(1)),
      batched.record('reader-6', increment(5), requestMetadata(2)),
    ]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.message).toMatch(/invalid CounterIncremented data/);
    expect(good.status).toBe('fulfilled');
    expect((await store.readStream('reader-6')).map((e) => e.data.by)).toEqual([5]);
  });

  it('rejects every caller when the database cannot be reached', async () => {
    const { dataSource: lost, schema: lostSchema } = await createTestSchema('batched_appender_lost');
    const lostStore = new EventStore({ dataSource: lost, schema: lostSchema, registry: testRegistry });
    await lost.query(`DROP SCHEMA "${lostSchema}" CASCADE`);
    const batched = new BatchedAppender({ store: lostStore, dataSource: lost, registry: testRegistry });
    try {
      const outcomes = await Promise.allSettled([
        batched.record('reader-7', increment(1), requestMetadata(1)),
        batched.record('reader-8', increment(2), requestMetadata(2)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await batched.close();
      await lost.destroy();
    }
  });

  it('writes what is waiting on close, then refuses new records', async () => {
    const batched = appender({ maxWaitMs: 1000 });
    const waiting = batched.record('reader-9', increment(1), requestMetadata(1));
    await batched.close();
    await waiting;
    expect(await store.readStream('reader-9')).toHaveLength(1);
    await expect(batched.record('reader-9', increment(2), requestMetadata(2))).rejects.toBeInstanceOf(
      BatchedAppenderClosedError,
    );
  });

  it('tells onCommit after each committed batch', async () => {
    let commits = 0;
    const batched = appender({ onCommit: () => (commits += 1) });
    await batched.record('reader-10', increment(1), requestMetadata(1));
    expect(commits).toBe(1);
  });

  it('validates each event once, as it is recorded, whether the batch is a transaction or one statement', async () => {
    let validations = 0;
    const counting = Object.create(testRegistry) as typeof testRegistry;
    counting.validateData = ((type: string, data: unknown) => {
      validations += 1;
      return testRegistry.validateData(type, data);
    }) as typeof testRegistry.validateData;
    const countingStore = new EventStore({ dataSource, schema, registry: counting, projections: [] });
    const transactional = appender({ store: countingStore, registry: counting });
    await transactional.record('reader-11', [increment(1), increment(2)], requestMetadata(1));
    expect(validations).toBe(2);
    const alone = appender({ store: countingStore, registry: counting, unprojectedTypes: new Set(['CounterIncremented']) });
    await alone.record('reader-12', increment(3), requestMetadata(2));
    expect(validations).toBe(3);
    expect((await store.readStream('reader-11')).map((e) => e.data.by)).toEqual([1, 2]);
    expect((await store.readStream('reader-12')).map((e) => e.data.by)).toEqual([3]);
    // A record the registry refuses fails its caller only, before anything is written.
    await expect(alone.record('reader-12', { type: 'CounterIncremented', data: { by: 'x' } }, requestMetadata(3))).rejects.toThrow();
    expect(await store.readStream('reader-12')).toHaveLength(1);
  });
});
