import { verifyStreamChain, type EventEnvelope } from '@warden/contracts';
import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { increment, metadata, testRegistry } from '../test/test-events';
import { EventStore } from './event-store';
import { StreamVersionConflict } from './event-store.errors';
import { LOG_START, type InlineProjection, type LogCheckpoint } from './event-store.types';

describe('EventStore', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('event_store'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  describe('when appending to a new stream', () => {
    it('stores the events with versions, positions and a verifiable hash chain', async () => {
      const first = await store.append('counter-a', [increment(1), increment(2)], {
        expectedVersion: 0,
        metadata: metadata(),
      });
      const second = await store.append('counter-a', [increment(3)], { expectedVersion: 2, metadata: metadata() });

      expect(first.streamVersion).toBe(2);
      expect(second.streamVersion).toBe(3);
      const events = await store.readStream('counter-a');
      expect(events.map((e) => [e.streamVersion, e.data.by])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      expect(events[0].globalPosition).toBeLessThan(events[1].globalPosition);
      expect(verifyStreamChain(events)).toBeNull();
    });

    it('refuses data that breaks the event contract', async () => {
      await expect(
        store.append('counter-bad', [{ type: 'CounterIncremented', data: { by: 'x' } }], {
          expectedVersion: 0,
          metadata: metadata(),
        }),
      ).rejects.toThrow(/invalid CounterIncremented data/);
      expect(await store.readStream('counter-bad')).toEqual([]);
    });
  });

  describe('appendToStreams (many streams with one statement)', () => {
    it('writes each stream from version 1 on its own hash chain, with its own metadata, in the order given', async () => {
      const results = await store.appendToStreams([
        { streamId: 'many-a', events: [increment(1), increment(2)], metadata: { ...metadata(), causationId: 'cause-a' }, expectedVersion: 0 },
        { streamId: 'many-b', events: [increment(3)], metadata: { ...metadata(), causationId: 'cause-b' }, expectedVersion: 0 },
      ]);
      expect(results.map((r) => r.streamVersion)).toEqual([2, 1]);
      const a = await store.readStream('many-a');
      const b = await store.readStream('many-b');
      expect(a.map((e) => [e.streamVersion, e.data.by, e.causationId])).toEqual([
        [1, 1, 'cause-a'],
        [2, 2, 'cause-a'],
      ]);
      expect(b.map((e) => [e.streamVersion, e.data.by, e.causationId])).toEqual([[1, 3, 'cause-b']]);
      expect(verifyStreamChain(a)).toBeNull();
      expect(verifyStreamChain(b)).toBeNull();
      expect(a[1].globalPosition).toBeLessThan(b[0].globalPosition);
      expect(results[1].events[0].globalPosition).toBe(b[0].globalPosition);
      // The heads are right: the next append at the stream's version goes on.
      await store.append('many-b', [increment(4)], { expectedVersion: 1, metadata: metadata() });
      expect(verifyStreamChain(await store.readStream('many-b'))).toBeNull();
    });

    it('writes nothing when one of the streams exists, and names it in a StreamVersionConflict', async () => {
      await store.append('many-old', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      const attempt = store.appendToStreams([
        { streamId: 'many-new', events: [increment(1)], metadata: metadata(), expectedVersion: 0 },
        { streamId: 'many-old', events: [increment(2)], metadata: metadata(), expectedVersion: 0 },
      ]);
      await expect(attempt).rejects.toBeInstanceOf(StreamVersionConflict);
      await expect(attempt).rejects.toMatchObject({ streamId: 'many-old', actualVersion: 1 });
      expect(await store.readStream('many-new')).toEqual([]);
      expect(await store.readStream('many-old')).toHaveLength(1);
      const heads = (await dataSource.query(`SELECT stream_id FROM "${schema}".streams WHERE stream_id = 'many-new'`)) as unknown[];
      expect(heads).toEqual([]);
    });

    it('moves existing streams from the heads aggregateMany read, and new ones from nothing, in one statement', async () => {
      await store.append('many-x', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      await store.append('many-y', [increment(2), increment(3)], { expectedVersion: 0, metadata: metadata() });
      const read = await store.aggregateMany<number>(['many-x', 'many-y', 'many-z'], (sum, e) => sum + (e.data.by as number), 0);
      expect([...read.entries()].map(([id, r]) => [id, r.state, r.version])).toEqual([
        ['many-x', 1, 1],
        ['many-y', 5, 2],
        ['many-z', 0, 0],
      ]);
      await store.appendToStreams(
        ['many-x', 'many-y', 'many-z'].map((streamId) => {
          const { version, hash } = read.get(streamId) as { version: number; hash: string };
          return { streamId, events: [increment(10)], metadata: metadata(), expectedVersion: version, expectedHash: hash };
        }),
      );
      for (const [streamId, version] of [['many-x', 2], ['many-y', 3], ['many-z', 1]] as const) {
        const events = await store.readStream(streamId);
        expect(events.at(-1)?.streamVersion).toBe(version);
        expect(verifyStreamChain(events)).toBeNull();
      }
    });

    it('writes nothing when a stream moved since it was read, and names it', async () => {
      await store.append('many-p', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      await store.append('many-q', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      const read = await store.aggregateMany<null>(['many-p', 'many-q'], () => null, null);
      await store.append('many-q', [increment(5)], { expectedVersion: 1, metadata: metadata() }); // someone else
      const attempt = store.appendToStreams(
        ['many-p', 'many-q'].map((streamId) => {
          const { version, hash } = read.get(streamId) as { version: number; hash: string };
          return { streamId, events: [increment(7)], metadata: metadata(), expectedVersion: version, expectedHash: hash };
        }),
      );
      await expect(attempt).rejects.toBeInstanceOf(StreamVersionConflict);
      await expect(attempt).rejects.toMatchObject({ streamId: 'many-q', actualVersion: 2 });
      expect(await store.readStream('many-p')).toHaveLength(1);
      // A head hash that does not match the stored one is a conflict too, never a broken chain.
      await expect(
        store.appendToStreams([{ streamId: 'many-p', events: [increment(1)], metadata: metadata(), expectedVersion: 1, expectedHash: 'f'.repeat(64) }]),
      ).rejects.toBeInstanceOf(StreamVersionConflict);
      expect(verifyStreamChain(await store.readStream('many-p'))).toBeNull();
    });

    it('refuses data that breaks the event contract before writing anything', async () => {
      await expect(
        store.appendToStreams([
          { streamId: 'many-ok', events: [increment(1)], metadata: metadata(), expectedVersion: 0 },
          { streamId: 'many-bad', events: [{ type: 'CounterIncremented', data: { by: 'x' } }], metadata: metadata(), expectedVersion: 0 },
        ]),
      ).rejects.toThrow(/invalid CounterIncremented data/);
      expect(await store.readStream('many-ok')).toEqual([]);
    });
  });

  describe('when the expected version is stale', () => {
    it('raises a StreamVersionConflict (HTTP 409) and writes nothing', async () => {
      await store.append('counter-b', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      const attempt = store.append('counter-b', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      await expect(attempt).rejects.toBeInstanceOf(StreamVersionConflict);
      await expect(attempt).rejects.toMatchObject({ status: 409, code: 'STREAM_VERSION_CONFLICT', actualVersion: 1 });
      expect(await store.readStream('counter-b')).toHaveLength(1);
    });

    it('a head hash the caller vouches for must match too: a wrong one is a conflict, not a broken chain', async () => {
      const { hash } = (await store.append('counter-h', [increment(1)], { expectedVersion: 0, metadata: metadata() })).events[0];
      await expect(
        store.append('counter-h', [increment(1)], { expectedVersion: 1, expectedHash: 'f'.repeat(64), metadata: metadata() }),
      ).rejects.toBeInstanceOf(StreamVersionConflict);
      await store.append('counter-h', [increment(2)], { expectedVersion: 1, expectedHash: hash, metadata: metadata() });
      const events = await store.readStream('counter-h');
      expect(events).toHaveLength(2);
      expect(verifyStreamChain(events)).toBeNull();
    });

    it('lets exactly one of many concurrent writers with the same expected version win', async () => {
      await store.append('counter-c', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, writer) =>
          store.append('counter-c', [increment(1, writer)], { expectedVersion: 1, metadata: metadata() }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(StreamVersionConflict);
      const events = await store.readStream('counter-c');
      expect(events).toHaveLength(2);
      expect(verifyStreamChain(events)).toBeNull();
    });

    it("with expectedVersion 'any', concurrent writers all land in one unbroken chain", async () => {
      await Promise.all(
        Array.from({ length: 8 }, (_, writer) =>
          store.append('counter-d', [increment(1, writer)], { expectedVersion: 'any', metadata: metadata() }),
        ),
      );
      const events = await store.readStream('counter-d');
      expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(verifyStreamChain(events)).toBeNull();
    });
  });

  describe('handle (load → decide → append)', () => {
    const counter = {
      initialState: 0,
      decide: (command: { by: number }, total: number) => (command.by === 0 || total > 100 ? [] : [increment(command.by)]),
      evolve: (total: number, event: { type: string; data: Record<string, unknown> }) => total + Number(event.data.by),
    };

    it('folds the stream, appends what the decider decided and returns it', async () => {
      await store.handle('counter-k', counter, { by: 5 }, { metadata: metadata() });
      const second = await store.handle('counter-k', counter, { by: 7 }, { metadata: metadata() });
      expect(second.streamVersion).toBe(2);
      expect(second.events).toEqual([increment(7)]);
      expect((await store.aggregate('counter-k', (t: number, e) => t + Number(e.data.by), 0)).state).toBe(12);
    });

    it('appends nothing when the decider decides nothing', async () => {
      const result = await store.handle('counter-l', counter, { by: 0 }, { metadata: metadata() });
      expect(result).toEqual({ events: [], streamVersion: 0 });
      expect(await store.readStream('counter-l')).toEqual([]);
    });
  });

  describe('the events table', () => {
    it('is append-only: updates and deletes are refused by the database', async () => {
      await store.append('counter-e', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      await expect(dataSource.query(`UPDATE "${schema}".events SET data = '{"by": 99}'`)).rejects.toThrow(/append-only/);
      await expect(dataSource.query(`DELETE FROM "${schema}".events`)).rejects.toThrow(/append-only/);
    });
  });
});

describe('EventStore inline projections', () => {
  let dataSource: DataSource;
  let schema: string;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('projection'));
    await dataSource.query(`CREATE TABLE "${schema}".totals (stream_id text PRIMARY KEY, total int NOT NULL)`);
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  const totals = (failOn?: number): InlineProjection => ({
    name: 'totals',
    handles: ['CounterIncremented'],
    async apply(events, manager) {
      for (const event of events) {
        if (event.data.by === failOn) throw new Error('projection failed');
        await manager.query(
          `INSERT INTO "${schema}".totals VALUES ($1, $2)
           ON CONFLICT (stream_id) DO UPDATE SET total = totals.total + EXCLUDED.total`,
          [event.streamId, event.data.by],
        );
      }
    },
  });

  it('updates the read model in the same transaction as the append', async () => {
    const store = new EventStore({ dataSource, schema, registry: testRegistry, projections: [totals()] });
    await store.append('p-1', [increment(2), increment(5)], { expectedVersion: 0, metadata: metadata() });
    expect(await dataSource.query(`SELECT total FROM "${schema}".totals WHERE stream_id = 'p-1'`)).toEqual([{ total: 7 }]);
  });

  it('runs the projections on the events of every stream appendToStreams writes, in the same transaction', async () => {
    const store = new EventStore({ dataSource, schema, registry: testRegistry, projections: [totals()] });
    await store.appendToStreams([
      { streamId: 'p-many-1', events: [increment(2), increment(5)], metadata: metadata(), expectedVersion: 0 },
      { streamId: 'p-many-2', events: [increment(4)], metadata: metadata(), expectedVersion: 0 },
    ]);
    expect(await dataSource.query(`SELECT stream_id, total FROM "${schema}".totals WHERE stream_id LIKE 'p-many-%' ORDER BY stream_id`)).toEqual([
      { stream_id: 'p-many-1', total: 7 },
      { stream_id: 'p-many-2', total: 4 },
    ]);
    const failing = new EventStore({ dataSource, schema, registry: testRegistry, projections: [totals(13)] });
    await expect(
      failing.appendToStreams([
        { streamId: 'p-many-3', events: [increment(1)], metadata: metadata(), expectedVersion: 0 },
        { streamId: 'p-many-4', events: [increment(13)], metadata: metadata(), expectedVersion: 0 },
      ]),
    ).rejects.toThrow('projection failed');
    expect(await store.readStream('p-many-3')).toEqual([]);
  });

  it('when the projection fails, neither the events nor the read model change', async () => {
    const store = new EventStore({ dataSource, schema, registry: testRegistry, projections: [totals(13)] });
    await expect(
      store.append('p-2', [increment(1), increment(13)], { expectedVersion: 0, metadata: metadata() }),
    ).rejects.toThrow('projection failed');
    expect(await store.readStream('p-2')).toEqual([]);
    expect(await dataSource.query(`SELECT * FROM "${schema}".totals WHERE stream_id = 'p-2'`)).toEqual([]);
  });
});

describe('EventStore.readLog (gap-free global order)', () => {
  let dataSource: DataSource;
  let schema: string;
  let store: EventStore;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('gapfree'));
    store = new EventStore({ dataSource, schema, registry: testRegistry });
  });
  afterAll(() => dropTestSchema(dataSource, schema));

  it('never skips an event whose transaction commits after a later position became visible', async () => {
    const writers = 8;
    const appendsPerWriter = 15;
    let writing = true;
    // After the writers are done, the reader goes on until it has every event or 10 s have passed:
    // a transaction elsewhere in the cluster (another test's) can hold the commit-safe horizon back.
    let giveUpAt = Number.POSITIVE_INFINITY;
    const seen: EventEnvelope[] = [];
    let checkpoint: LogCheckpoint = LOG_START;

    // A reader polling the log the whole time, as the relay does.
    const reader = (async () => {
      for (;;) {
        const batch = await store.readLog(checkpoint, 50);
        for (const event of batch) seen.push(event);
        if (batch.length) {
          const last = batch[batch.length - 1];
          checkpoint = { transactionId: last.transactionId, globalPosition: last.globalPosition };
        } else if (!writing && (seen.length >= writers * appendsPerWriter || Date.now() > giveUpAt)) {
          return;
        } else {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    })();

    // Writers whose transactions take a position, then stay open for a random while before committing,
    // so that later positions often commit first.
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let i = 0; i < appendsPerWriter; i += 1) {
          await dataSource.transaction(async (manager) => {
            await store.append(`w-${writer}`, [increment(1, writer)], { expectedVersion: i, metadata: metadata(), manager });
            await manager.query('SELECT pg_sleep($1)', [Math.random() * 0.05]);
          });
        }
      }),
    );
    giveUpAt = Date.now() + 10_000;
    writing = false;
    await reader;

    const all: Array<{ global_position: string }> = await dataSource.query(`SELECT global_position FROM "${schema}".events`);
    expect(all).toHaveLength(writers * appendsPerWriter);
    const seenPositions = seen.map((e) => e.globalPosition);
    expect(new Set(seenPositions).size).toBe(seenPositions.length);
    expect([...seenPositions].sort((a, b) => a - b)).toEqual(all.map((r) => Number(r.global_position)).sort((a, b) => a - b));
    // Per stream, the log order is the stream order.
    for (let writer = 0; writer < writers; writer += 1) {
      const versions = seen.filter((e) => e.streamId === `w-${writer}`).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: appendsPerWriter }, (_, i) => i + 1));
    }
  });

  it('a reader ordering by position alone would have skipped events (the hazard the test guards)', async () => {
    // Transaction A takes a position and stays open; B takes a later position and commits.
    const runnerA = dataSource.createQueryRunner();
    await runnerA.connect();
    await runnerA.startTransaction();
    try {
      await store.append('hazard-a', [increment(1)], { expectedVersion: 0, metadata: metadata(), manager: runnerA.manager });
      const b = await store.append('hazard-b', [increment(1)], { expectedVersion: 0, metadata: metadata() });
      const from = (await store.readLog(LOG_START, 10_000)).at(-1);
      // B is committed but not yet readable: A is still in progress and older.
      const readable = await store.readLog(from ? { transactionId: from.transactionId, globalPosition: from.globalPosition } : LOG_START, 100);
      expect(readable.map((e) => e.streamId)).not.toContain('hazard-b');
      expect(b.events[0].globalPosition).toBeGreaterThan(0);
      await runnerA.commitTransaction();
    } finally {
      await runnerA.release();
    }
    const after = await store.readLog(LOG_START, 10_000);
    const ids = after.map((e) => e.streamId);
    expect(ids.indexOf('hazard-a')).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('hazard-a')).toBeLessThan(ids.indexOf('hazard-b'));
  });
});
