import type { Message, Producer } from 'kafkajs';
import type { DataSource, QueryRunner } from 'typeorm';
import type { EventStore, RelayRow } from './event-store';
import type { LogCheckpoint } from './event-store.types';

export type RelayLogger = {
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
};

export type RelayOptions = {
  dataSource: DataSource;
  store: EventStore;
  /** An idempotent kafkajs producer (`idempotent: true`, `maxInFlightRequests: 1`), connected by the relay. */
  producer: Producer;
  /** The topic of every event, unless `topicFor` names another. */
  topic: string;
  /**
   * Routes an event to another topic than `topic` (e.g. a service's read events to the access
   * topic); `null` keeps `topic`. Must depend only on the row (its stream id, type), so that a
   * stream's events always go to one topic and keep their order. `prepare` must create every
   * topic it names.
   */
  topicFor?: (row: RelayRow) => string | null;
  /** The checkpoint's name; one relay per (schema, name) is leader at a time. */
  name?: string;
  batchSize?: number;
  /** How long to wait before looking again when there was nothing to publish. */
  idleMs?: number;
  /**
   * The shortest time between two reads of the log when it is found empty and then written again
   * (default 20 ms). Writes that arrive one at a time, such as a read audit event per request,
   * are then published several per batch instead of one read, send and checkpoint each, work that
   * otherwise runs in the service's event loop beside the next request. Adds at most this much to
   * the time an event takes to reach Kafka; 0 reads at every nudge.
   */
  coalesceMs?: number;
  /** Longest wait between retries while Kafka or Postgres is unavailable. */
  maxBackoffMs?: number;
  logger?: RelayLogger;
  /** Runs once before the first publish, retried until it succeeds (e.g. create the topic). */
  prepare?: () => Promise<void>;
  /** Called after each acknowledged batch with the events it carried. */
  onPublished?: (events: readonly RelayRow[]) => void;
};

/** The Kafka message of one event: keyed by stream id, the envelope as JSON text. */
const message = (row: RelayRow): Message => ({
  key: row.streamId,
  value: row.value,
  timestamp: String(row.occurredAtMs),
  headers: {
    'event-id': row.eventId,
    'event-type': row.type,
    'schema-version': String(row.schemaVersion),
    'correlation-id': row.correlationId,
  },
});

const silent: RelayLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Publishes the committed events of one service's log to its Kafka topic, in log order, keyed by
 * stream id. The checkpoint moves only after Kafka acknowledged the batch (acks=all), so a crash
 * at any point re-sends at most the last batch; consumers drop the repeat by event id. Kafka down
 * means the relay waits and retries; writes to the store go on.
 */
export class EventRelay {
  private running = false;
  private loop: Promise<void> | null = null;
  private lockHolder: QueryRunner | null = null;
  private wake: (() => void) | null = null;
  private readonly name: string;
  private readonly logger: RelayLogger;
  private published = 0;

  constructor(private readonly options: RelayOptions) {
    options.store.onAppend(() => this.nudge());
    this.name = options.name ?? 'kafka';
    this.logger = options.logger ?? silent;
  }

  get isLeader(): boolean {
    return this.lockHolder !== null;
  }

  get publishedCount(): number {
    return this.published;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the relay to look now instead of at its next poll (for example right after a write). */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    this.loop = null;
    await this.releaseLock();
    await this.options.producer.disconnect().catch(() => undefined);
  }

  checkpoint(): Promise<LogCheckpoint> {
    return this.options.store.relayCheckpoint(this.name);
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let producerConnected = false;
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      try {
        if (!(await this.ensureLeader())) {
          await this.idle(1000);
          continue;
        }
        if (!producerConnected) {
          await this.options.prepare?.();
          await this.options.producer.connect();
          producerConnected = true;
        }
        await this.publishWhileLeader(batchSize);
        backoff = 100;
      } catch (error) {
        this.logger.warn('relay could not publish; retrying', {
          error: (error as Error).message,
          retryInMs: backoff,
        });
        await this.releaseLockIfBroken();
        await this.idle(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 5000);
      }
    }
  }

  /**
   * Publishes batch after batch. The next batch is read while the current one is being sent; the
   * durable checkpoint moves only after Kafka acknowledged a batch. The read position is kept in
   * memory and starts again from the durable checkpoint after any error.
   */
  private async publishWhileLeader(batchSize: number): Promise<void> {
    const coalesceMs = this.options.coalesceMs ?? 20;
    let cursor = await this.checkpoint();
    let lastRead = performance.now();
    let next: Promise<RelayRow[]> = this.options.store.readLogForRelay(cursor, batchSize);
    // The checkpoint write of the previous batch runs while the next batch is sent; writes stay in order.
    let saving: Promise<void> = Promise.resolve();
    try {
      while (this.running && this.lockHolder) {
        const batch = await next;
        if (batch.length === 0) {
          await saving;
          await this.idle(this.options.idleMs ?? 25);
          await this.settle(lastRead + coalesceMs - performance.now());
          lastRead = performance.now();
          next = this.options.store.readLogForRelay(cursor, batchSize);
          continue;
        }
        const last = batch[batch.length - 1];
        cursor = { transactionId: last.transactionId, globalPosition: last.globalPosition };
        lastRead = performance.now();
        next = this.options.store.readLogForRelay(cursor, batchSize);
        next.catch(() => undefined); // a failed read-ahead surfaces when awaited
        await this.send(batch);
        await saving;
        saving = this.saveCheckpoint(last).then(() => {
          this.published += batch.length;
          this.options.onPublished?.(batch);
        });
        saving.catch(() => undefined); // surfaces when awaited
      }
    } finally {
      await next.catch(() => undefined);
    }
    await saving;
  }

  private saveCheckpoint(last: RelayRow): Promise<void> {
    return this.options.store.saveRelayCheckpoint(this.name, {
      transactionId: last.transactionId,
      globalPosition: last.globalPosition,
    });
  }

  /** One request per batch; with `topicFor`, the batch's messages grouped by topic, in log order within each. */
  private async send(batch: readonly RelayRow[]): Promise<void> {
    const { topicFor, topic } = this.options;
    if (!topicFor) {
      await this.options.producer.send({ topic, acks: -1, messages: batch.map(message) });
      return;
    }
    const byTopic = new Map<string, Message[]>();
    for (const row of batch) {
      const target = topicFor(row) ?? topic;
      const messages = byTopic.get(target);
      if (messages) messages.push(message(row));
      else byTopic.set(target, [message(row)]);
    }
    await this.options.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([name, messages]) => ({ topic: name, messages })),
    });
  }

  /** Holds a session advisory lock so that one relay instance per service publishes at a time. */
  private async ensureLeader(): Promise<boolean> {
    if (this.lockHolder) return true;
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    const rows: Array<{ locked: boolean }> = await runner.query(
      `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`,
      [`warden.relay.${this.options.store.schema}.${this.name}`],
    );
    if (rows[0]?.locked) {
      this.lockHolder = runner;
      this.logger.info('relay is the leader for its log', { schema: this.options.store.schema, topic: this.options.topic });
      return true;
    }
    await runner.release();
    return false;
  }

  private async releaseLockIfBroken(): Promise<void> {
    if (!this.lockHolder) return;
    try {
      await this.lockHolder.query('SELECT 1');
    } catch {
      await this.lockHolder.release().catch(() => undefined);
      this.lockHolder = null;
    }
  }

  private async releaseLock(): Promise<void> {
    if (!this.lockHolder) return;
    const runner = this.lockHolder;
    this.lockHolder = null;
    await runner
      .query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [`warden.relay.${this.options.store.schema}.${this.name}`])
      .catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  /** Waits `ms` whatever nudges arrive meanwhile (what they announce is read after it); `stop()` ends it. */
  private settle(ms: number): Promise<void> {
    return ms > 0 ? this.wait(ms, () => !this.running) : Promise.resolve();
  }

  /** Waits `ms`, or until a nudge or `stop()`. */
  private idle(ms: number): Promise<void> {
    return this.wait(ms, () => true);
  }

  /** Waits `ms`, or until a wake-up (a nudge, or `stop()`'s) for which `ends()` holds. */
  private wait(ms: number, ends: () => boolean): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (!ends()) return;
        this.wake = null;
        done();
      };
    });
  }
}

