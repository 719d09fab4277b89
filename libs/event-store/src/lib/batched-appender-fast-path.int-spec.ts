import { verifyStreamChain } from '@warden/contracts';
import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { increment, metadata, testRegistry } from '../test/test-events';
import { BatchedAppender } from './batched-appender';
import { EventStore } from './event-store';
import type { CommandMetadata, InlineProjection } from './event-store.types';

/** A projection of a type the tests never append (the store then wraps its own appends in transactions). */
const elsewhere: InlineProjection = {
  name: 'elsewhere',
  handles: ['SomethingElse'],
  async apply(events) {
    throw new Error(`unexpected projection of ${events.length} events`);
  },
};

const requestMetadata = (n: number): CommandMetadata => ({ ...metadata(), correlationId: `request-${n}` });

/**
 * The options that make one request's record cheap: `flushWhenIdle` (no fixed wait when nothing is
 * being written) and `unprojectedTypes` (a single append as one autocommit statement against the
 * remembered head, falling back to the transaction when another writer moved it).
 */
describe('BatchedAppender, single-statement path (real Postgres)', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;
  const appenders: BatchedAppender[] = [];
  const appender = (options: Partial<ConstructorParameters<typeof BatchedAppender>[0]> = {}): BatchedAppender => {
    const created = new BatchedAppender({
      store,
      dataSource,
      registry: testRegistry,
      maxWaitMs: 50,
      flushWhenIdle: true,
      unprojectedTypes: new Set(['CounterIncremented']),
      ...options,
    });
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
  /** Statements the pool sent while `run` ran (the driver's query calls). */
  const statementsDuring = async (run: () => Promise<void>): Promise<string[]> => {
    const driver = dataSource.driver as unknown as { master: { query: (...args: unknown[]) => unknown } };
    const pool = driver.master;
    const sent: string[] = [];
    const original = pool.query;
    pool.query = function (this: unknown, ...args: unknown[]) {
      const [text] = args;
      sent.push(typeof text === 'string' ? text : String((text as { text?: string }).text ?? ''));
      return original.apply(this, args);
    };
    try {
      await run();
    } finally {
      pool.query = original;
    }
    return sent;
  };

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('batched_fast'));
    store = new EventStore({ dataSource, schema, registry: testRegistry, projections: [elsewhere] });
  });
  afterAll(async () => {
    await Promise.all(appenders.map((a) => a.close()));
    await dropTestSchema(dataSource, schema);
  });

  it('writes a lone record at once (no maxWaitMs wait), committed when the caller is told', async () => {
    const batched = appender({ maxWaitMs: 5_000 });
    const started = Date.now();
    await batched.record('fast-1', increment(1), requestMetadata(1));
    expect(Date.now() - started).toBeLessThan(4_000);
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".events WHERE stream_id = 'fast-1'`);
    expect(row.n).toBe(1);
  });

  it('appends sequential records of one stream one statement each once the head is known, keeping the hash chain', async () => {
    const batched = appender();
    await batched.record('fast-2', increment(0), requestMetadata(0)); // reads the head, then remembers it
    const sent = await statementsDuring(async () => {
      for (let n = 1; n <= 5; n += 1) await batched.record('fast-2', increment(n), requestMetadata(n));
    });
    expect(sent).toHaveLength(5);
    expect(sent.every((text) => /INSERT INTO .*streams/s.test(text))).toBe(true);
    const events = await store.readStream('fast-2');
    expect(events.map((e) => e.data.by)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(verifyStreamChain(events)).toBeNull();
    expect(await transactionsOf('fast-2')).toBe(6);
  });

  it('falls back to the transaction when another writer moved the head, losing nothing', async () => {
    const mine = appender();
    const other = appender();
    await mine.record('fast-3', increment(1), requestMetadata(1));
    await other.record('fast-3', increment(2), requestMetadata(2)); // mine's remembered head is now stale
    await mine.record('fast-3', increment(3), requestMetadata(3));
    await other.record('fast-3', increment(4), requestMetadata(4));
    const events = await store.readStream('fast-3');
    expect(events.map((e) => e.data.by)).toEqual([1, 2, 3, 4]);
    expect(verifyStreamChain(events)).toBeNull();
  });

  it('still groups concurrent callers into few transactions, and never loses one', async () => {
    const batched = appender({ maxWaitMs: 5 });
    const callers = 200;
    await Promise.all(Array.from({ length: callers }, (_, n) => batched.record('fast-4', increment(n), requestMetadata(n))));
    const events = await store.readStream('fast-4');
    expect(events).toHaveLength(callers);
    expect(new Set(events.map((e) => e.data.by)).size).toBe(callers);
    expect(verifyStreamChain(events)).toBeNull();
    expect(await transactionsOf('fast-4')).toBeLessThan(callers / 4);
  });

  it('uses the transaction for types a projection may handle (not in unprojectedTypes)', async () => {
    const batched = appender({ unprojectedTypes: new Set(['SomethingElse']) });
    await batched.record('fast-5', increment(0), requestMetadata(0));
    const sent = await statementsDuring(() => batched.record('fast-5', increment(1), requestMetadata(1)));
    // The transaction runs on a dedicated connection, not through the pool's one-shot query.
    expect(sent.some((text) => /INSERT INTO .*streams/s.test(text))).toBe(false);
    expect((await store.readStream('fast-5')).map((e) => e.data.by)).toEqual([0, 1]);
  });

  it('rejects the caller when the single statement fails for another reason than a moved head', async () => {
    const { dataSource: lost, schema: lostSchema } = await createTestSchema('batched_fast_lost');
    const lostStore = new EventStore({ dataSource: lost, schema: lostSchema, registry: testRegistry });
    const batched = new BatchedAppender({
      store: lostStore,
      dataSource: lost,
      registry: testRegistry,
      flushWhenIdle: true,
      unprojectedTypes: new Set(['CounterIncremented']),
    });
    try {
      await batched.record('fast-6', increment(1), requestMetadata(1));
      await lost.query(`DROP SCHEMA "${lostSchema}" CASCADE`);
      await expect(batched.record('fast-6', increment(2), requestMetadata(2))).rejects.toThrow();
    } finally {
      await batched.close();
      await lost.destroy();
    }
  });
});
