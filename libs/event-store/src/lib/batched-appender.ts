import { GENESIS_HASH, type EventRegistry } from '@warden/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventStore } from './event-store';
import { StreamVersionConflict } from './event-store.errors';
import { quoteSchema } from './event-store.sql';
import type { AppendResult, CommandMetadata, NewEvent } from './event-store.types';

export type BatchedAppenderOptions = {
  store: EventStore;
  dataSource: DataSource;
  /** Validates each record's data as it is handed in, so that one bad record fails only its caller. */
  registry: EventRegistry;
  /** How long the first record of a batch waits for others before the batch is written (ms). */
  maxWaitMs?: number;
  /** Records per batch at most; a full batch is written at once. */
  maxBatch?: number;
  /** Batches written at the same time at most (each is one transaction on one connection). */
  maxConcurrentBatches?: number;
  /** Called after each committed batch (e.g. to nudge the relay, which otherwise finds it when it polls). */
  onCommit?: () => void;
  /**
   * Write a record at once when no batch is being written (default false: every batch waits
   * `maxWaitMs` for company). Records arriving while a batch is written still wait for it (or for
   * `maxWaitMs`) and go together: group commit without a fixed delay when the load is low.
   */
  flushWhenIdle?: boolean;
  /**
   * Event types that no inline projection of `store` handles. A batch that is a single append of
   * such events (one stream, one request's metadata) is written by one autocommit statement (the
   * store's conditional insert against the stream head, remembered from the previous batch or read
   * first) instead of a transaction of four round trips; if another writer moved the head, it falls
   * back to the transaction. Leave empty when unsure: a projection of these types would otherwise
   * run outside the events' transaction.
   */
  unprojectedTypes?: ReadonlySet<string>;
  /** How many stream heads (version, hash) are remembered for that path; default 10,000. */
  maxRememberedHeads?: number;
};

type Head = { version: number; hash: string };

type Pending = {
  streamId: string;
  events: readonly NewEvent[];
  metadata: CommandMetadata;
  resolve: () => void;
  reject: (error: unknown) => void;
};

/** The appender was closed: nothing is accepted any more. */
export class BatchedAppenderClosedError extends Error {
  constructor() {
    super('the batched appender is closed');
  }
}

const metadataKey = (m: CommandMetadata): string =>
  JSON.stringify([m.actor, m.correlationId, m.causationId ?? null, m.now.toISOString()]);

/**
 * Appends events that many callers produce at high rate (read audit events, for example) in
 * shared transactions: records arriving within `maxWaitMs` of each other (up to `maxBatch`) are
 * written in one transaction, each stream with `expectedVersion: 'any'`. Every caller's promise
 * resolves only after that transaction committed, so a caller that answers its client after
 * `await record(…)` never acknowledges an event that could still be lost; when the transaction
 * fails, every caller of that batch is rejected with its error (and should fail closed).
 *
 * Within a batch the records of one stream are appended with one `append` per run of records
 * that share their metadata (actor, correlation id, time): events keep the metadata of the request
 * that caused them, so records of different requests to one stream are separate appends in the
 * same transaction. Streams are locked in sorted order, so concurrent batches cannot deadlock.
 */
export class BatchedAppender {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly maxWaitMs: number;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private readonly unprojected: ReadonlySet<string>;
  private readonly maxHeads: number;
  /** The last committed head of recently written streams (least recently written first). */
  private readonly heads = new Map<string, Head>();

  constructor(private readonly options: BatchedAppenderOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.maxBatch = options.maxBatch ?? 200;
    this.maxConcurrent = options.maxConcurrentBatches ?? 4;
    this.unprojected = options.unprojectedTypes ?? new Set();
    this.maxHeads = options.maxRememberedHeads ?? 10_000;
  }

  /** Appends `events` to `streamId` with the next batch; resolves once that batch committed. */
  record(streamId: string, events: NewEvent | readonly NewEvent[], metadata: CommandMetadata): Promise<void> {
    if (this.closed) return Promise.reject(new BatchedAppenderClosedError());
    const given: readonly NewEvent[] = Array.isArray(events) ? events : [events as NewEvent];
    if (given.length === 0) return Promise.resolve();
    let list: NewEvent[];
    try {
      // Validated once, here; the store appends what the registry returned without validating again.
      list = given.map((event) => ({ ...event, data: this.options.registry.validateData(event.type, event.data) }));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ streamId, events: list, metadata, resolve, reject });
      this.schedule();
    });
  }

  /** Records waiting for a batch, plus batches being written. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Writes what is waiting, waits for every batch, then refuses new records. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running.size > 0) {
      this.flush();
      await Promise.allSettled([...this.running]);
    }
  }

  private schedule(): void {
    if (this.queue.length >= this.maxBatch || (this.options.flushWhenIdle && this.inFlight === 0)) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.maxWaitMs);
    }
  }

  /** Starts as many batches as the queue and the concurrency limit allow. */
  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 && this.inFlight < this.maxConcurrent) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      const run = this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.running.delete(run);
        // Records that queued while every slot was busy go now.
        if (this.queue.length > 0) this.flush();
      });
      this.running.add(run);
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const written: Array<[string, AppendResult]> = [];
    try {
      const single = this.singleAppend(batch);
      const result = single ? await this.appendAlone(single) : null;
      if (result) written.push([single?.streamId as string, result]);
      else {
        await this.options.dataSource.transaction(async (manager) => {
          written.length = 0;
          await this.appendAll(manager, batch, written);
        });
      }
    } catch (error) {
      for (const record of batch) this.heads.delete(record.streamId);
      for (const record of batch) record.reject(error);
      return;
    }
    for (const [streamId, result] of written) this.remember(streamId, result);
    for (const record of batch) record.resolve();
    this.options.onCommit?.();
  }

  /** The batch as one append (one stream, one metadata, unprojected types only), else null. */
  private singleAppend(batch: readonly Pending[]): { streamId: string; events: NewEvent[]; metadata: CommandMetadata } | null {
    const [first] = batch;
    if (this.unprojected.size === 0 || !first) return null;
    const key = metadataKey(first.metadata);
    const events: NewEvent[] = [];
    for (const record of batch) {
      if (record.streamId !== first.streamId || (record !== first && metadataKey(record.metadata) !== key)) return null;
      for (const event of record.events) {
        if (!this.unprojected.has(event.type)) return null;
        events.push(event);
      }
    }
    return { streamId: first.streamId, events, metadata: first.metadata };
  }

  /**
   * One autocommit statement against the remembered (or freshly read) head; null when another
   * writer moved the head first (nothing was written: the caller falls back to the transaction).
   */
  private async appendAlone({ streamId, events, metadata }: { streamId: string; events: NewEvent[]; metadata: CommandMetadata }): Promise<AppendResult | null> {
    const manager = this.options.dataSource.manager;
    const head = this.heads.get(streamId) ?? (await this.readHead(manager, streamId));
    try {
      return await this.options.store.append(streamId, events, {
        expectedVersion: head.version,
        expectedHash: head.hash,
        metadata,
        manager,
        validated: true,
      });
    } catch (error) {
      if (error instanceof StreamVersionConflict) {
        this.heads.delete(streamId);
        return null;
      }
      throw error;
    }
  }

  private async readHead(manager: EntityManager, streamId: string): Promise<Head> {
    const rows: Array<{ stream_version: number; last_hash: string }> = await manager.query(
      `SELECT stream_version, last_hash FROM ${quoteSchema(this.options.store.schema)}.streams WHERE stream_id = $1`,
      [streamId],
    );
    return rows.length ? { version: rows[0].stream_version, hash: rows[0].last_hash } : { version: 0, hash: GENESIS_HASH };
  }

  private remember(streamId: string, result: AppendResult): void {
    const last = result.events[result.events.length - 1];
    if (!last) return;
    this.heads.delete(streamId);
    this.heads.set(streamId, { version: result.streamVersion, hash: last.hash });
    for (const oldest of this.heads.keys()) {
      if (this.heads.size <= this.maxHeads) break;
      this.heads.delete(oldest);
    }
  }

  private async appendAll(manager: EntityManager, batch: readonly Pending[], written: Array<[string, AppendResult]>): Promise<void> {
    const byStream = new Map<string, Pending[]>();
    for (const record of batch) {
      const list = byStream.get(record.streamId);
      if (list) list.push(record);
      else byStream.set(record.streamId, [record]);
    }
    const streams = [...byStream.keys()].sort();
    for (const streamId of streams) {
      for (const run of runsOfSameMetadata(byStream.get(streamId) as Pending[])) {
        const result = await this.options.store.append(
          streamId,
          run.flatMap((record) => record.events),
          { expectedVersion: 'any', metadata: run[0].metadata, manager, validated: true },
        );
        written.push([streamId, result]);
      }
    }
  }
}

/** Consecutive records with equal metadata, grouped (their events share one append). */
function runsOfSameMetadata(records: readonly Pending[]): Pending[][] {
  const runs: Pending[][] = [];
  let key: string | null = null;
  for (const record of records) {
    const k = metadataKey(record.metadata);
    if (k === key) runs[runs.length - 1].push(record);
    else runs.push([record]);
    key = k;
  }
  return runs;
}
