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
  /**
   * How long an event may wait in the relay for company before it is sent (ms; default 0 for
   * every event), like a Kafka producer's `linger.ms`. Read events, written one per request, can
   * then go to Kafka tens per request instead of a few: each send is a request the broker handles
   * on the same machine as the service. A batch goes as soon as it holds an event that may not
   * wait, is full (`batchSize`), or its oldest event waited its time; events keep their log order.
   */
  lingerFor?: (row: RelayRow) => number;
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
   * durable checkpoint moves only after Kafka acknowledged a batch. Events that may linger
   * (`lingerFor`) are held, read but unsent, until their batch is due. The read position is kept
   * in memory and starts again from the durable checkpoint after any error (held events are read
   * again then).
   */
  private async publishWhileLeader(batchSize: number): Promise<void> {
    const coalesceMs = this.options.coalesceMs ?? 20;
    const idleMs = this.options.idleMs ?? 25;
    const lingerFor = this.options.lingerFor ?? (() => 0);
    let cursor = await this.checkpoint();
    let lastRead = performance.now();
    let next: Promise<RelayRow[]> = this.options.store.readLogForRelay(cursor, batchSize);
    // The checkpoint write of the previous batch runs while the next batch is sent; writes stay in order.
    let saving: Promise<void> = Promise.resolve();
    // Read and not yet sent, in log order; they must be sent by `sendBy`.
    let held: RelayRow[] = [];
    let sendBy = Infinity;
    try {
      while (this.running && this.lockHolder) {
        const batch = await next;
        const readAt = performance.now();
        if (batch.length > 0) {
          const last = batch[batch.length - 1];
          cursor = { transactionId: last.transactionId, globalPosition: last.globalPosition };
          for (const row of batch) {
            held.push(row);
            sendBy = Math.min(sendBy, readAt + lingerFor(row));
          }
        }
        if (held.length > 0 && (held.length >= batchSize || readAt >= sendBy)) {
          const sending = held;
          held = [];
          sendBy = Infinity;
          lastRead = readAt;
          next = this.options.store.readLogForRelay(cursor, batchSize);
          next.catch(() => undefined); // a failed read-ahead surfaces when awaited
          await this.send(sending);
          await saving;
          saving = this.saveCheckpoint(sending[sending.length - 1]).then(() => {
            this.published += sending.length;
            this.options.onPublished?.(sending);
          });
          saving.catch(() => undefined); // surfaces when awaited
          continue;
        }
        // Nothing new, or what was read may still wait: look again after a write (or a poll), but
        // no sooner than `coalesceMs` after the last read, nor later than the held events' time.
        await saving;
        await this.idle(Math.min(idleMs, sendBy - performance.now()));
        await this.settle(Math.min(lastRead + coalesceMs, sendBy) - performance.now());
        lastRead = performance.now();
        next = this.options.store.readLogForRelay(cursor, batchSize - held.length);
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
      const timer = setTimeout(done, Math.max(0, ms));
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

