import { ContractViolation, type DecodeOptions, type EventEnvelope, type EventRegistry, Topics } from '@warden/contracts';
import { quoteSchema } from '@warden/event-store';
import type { Admin, Consumer, EachBatchPayload, EachMessagePayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { createIdempotentProducer, ensureTopics, withAdmin, type KafkaLogger } from './kafka';

export type HandlerContext = {
  /** The transaction the inbox record is written in: write the handler's effect through it. */
  manager: EntityManager;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
};

export type EventHandler = (event: EventEnvelope, context: HandlerContext) => Promise<void>;

/** One valid, not yet processed message of a batch. */
export type BatchItem = { event: EventEnvelope; topic: string; partition: number; offset: string };

export type BatchContext<P = undefined> = {
  /** The one transaction of the batch (its inbox records included): write every effect through it. */
  manager: EntityManager;
  /** 1 for the batch; a message retried alone after its batch failed counts its own attempts. */
  attempt: number;
  /** Keeps the group membership alive in a long handler (called regularly by the consumer too). */
  heartbeat: () => Promise<void>;
  /**
   * What `prepareBatch` returned for this attempt, from a superset of `items` (undefined without
   * `prepareBatch`).
   */
  prepared: P;
};

/** Handles the fresh (not yet processed) valid messages of a batch, in partition order, in one transaction. */
export type BatchHandler<P = undefined> = (items: readonly BatchItem[], context: BatchContext<P>) => Promise<void>;

/**
 * Work done on a batch before its transaction opens (lookups, idempotent external state): it gets
 * the valid messages not processed yet (first copy of each event, in partition order), and its
 * result reaches the handler as `context.prepared`. It runs again for every attempt, so it must
 * be idempotent per event; a failure counts as the attempt's failure.
 */
export type BatchPreparer<P> = (items: readonly BatchItem[], context: { attempt: number; heartbeat: () => Promise<void> }) => Promise<P>;

/** `skipped`: a valid event of a type the handler does not act on (see `handledTypes`). */
export type ConsumerOutcome = 'handled' | 'duplicate' | 'skipped' | 'dead-lettered';

/** One message per transaction (`handle`), or batches (`handleBatch`): see `EventConsumer`. */
export type EventConsumerOptions<P = undefined> = EventConsumerCommonOptions &
  (
    | {
        handle: EventHandler;
        /**
         * The event types `handle` acts on (default: all). A valid event of another type is
         * passed over without a transaction or inbox record, since handling it would change
         * nothing; its offset is committed like any other's. For consumers of a whole events topic
         * that act on a few types, so the others cost no database round trip.
         */
        handledTypes?: ReadonlySet<string>;
        handleBatch?: never;
        prepareBatch?: never;
      }
    | {
        handleBatch: BatchHandler<P>;
        handle?: never;
        /** Runs before each batch transaction, outside it; see `BatchPreparer`. */
        prepareBatch?: BatchPreparer<P>;
        /**
         * Runs once the transaction of an attempt that `prepareBatch` prepared has committed, with
         * what it prepared (to release what only an uncommitted retry needed). Its failure is
         * logged and changes nothing: the batch is committed already.
         */
        afterCommit?: (prepared: P) => Promise<void>;
        /** Messages per transaction at most (a fetched batch is cut into chunks of this size); default 500. */
        maxBatchSize?: number;
      }
  );

export type EventConsumerCommonOptions = {
  kafka: Kafka;
  /** One consumer group per service (and purpose): instances of a service share the partitions. */
  groupId: string;
  topics: readonly string[];
  dataSource: DataSource;
  /** The schema holding this service's `processed_messages` table. */
  schema: string;
  registry: EventRegistry;
  decode?: DecodeOptions;
  /** Attempts before a message goes to the dead-letter topic. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  fromBeginning?: boolean;
  /** The group session: a member silent for this long is replaced (default 30 s; the broker's minimum is usually 6 s). */
  sessionTimeoutMs?: number;
  /** Partitions handled at once by one instance (each with its own transactions); default 1. */
  partitionsConsumedConcurrently?: number;
  logger?: KafkaLogger & { info(message: string, context?: Record<string, unknown>): void };
  /**
   * How long `stop()` waits for the consumer to leave its group (default 15 s). A disconnect that
   * races a rebalance can wait indefinitely; past this bound the instance stops waiting, and the
   * broker reassigns its partitions once its session times out. Offsets are committed only after
   * each effect, so nothing is lost either way.
   */
  stopTimeoutMs?: number;
  onOutcome?: (topic: string, outcome: ConsumerOutcome) => void;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A handler may reject with anything (a string, a plain object): describe it without assuming an Error. */
const describeError = (error: unknown): string => {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
};

/**
 * Consumes event topics with at-least-once delivery turned into exactly-once effects:
 * - every message is validated against its contract; one that fails goes straight to
 *   `<topic>.dlq` with the reason, and the consumer carries on;
 * - the handler runs in a transaction that also records the event id, so a redelivery is skipped;
 * - a failing handler is retried with exponential backoff, then dead-lettered with its error;
 * - the offset is committed only after the effect (or the dead letter) is durable;
 * - the same transaction records the group's position on the partition (`consumer_positions`):
 *   at start, a partition Kafka has no offset for resumes from it (see `reconcilePositions`), so
 *   the inbox only has to remember recent events (`pruneInbox`).
 *
 * Batch mode (`handleBatch`): each fetched batch of a partition is cut into chunks of
 * `maxBatchSize`; per chunk, malformed messages are dead-lettered (one send), the inbox records of
 * the valid ones are inserted in one statement (the ones already there, or repeated within the
 * chunk, are duplicates), and the handler gets the fresh ones in one transaction. The chunk's
 * offsets are resolved and committed only after that commit (and the dead letters' acks). When the
 * transaction fails, the chunk is split in halves and each retried, down to single messages,
 * which get `maxAttempts` attempts with backoff before being dead-lettered: one poison message
 * costs about log2(chunk) extra transactions and never holds back or loses the others.
 * With `prepareBatch`, each attempt first reads which of its events are processed already (no
 * lock), runs the hook on the others outside any transaction, then opens the transaction as
 * above: slow idempotent work (Redis, HTTP lookups) no longer holds a Postgres transaction open.
 * Heartbeats are sent every second while a batch is being handled.
 */
export class EventConsumer<P = undefined> {
  private readonly consumer: Consumer;
  private dlqProducer: Producer | null = null;
  private readonly s: string;
  private running = false;
  /** Set by `stop()`, never cleared: a start still under way then disconnects what it connected. */
  private stopped = false;
  /** The group join of `start()` (settled, never rejecting), which `stop()` lets finish before leaving. */
  private joining: Promise<void> | null = null;

  constructor(private readonly options: EventConsumerOptions<P>) {
    this.s = quoteSchema(options.schema);
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, retries: 10 },
    });
  }

  get instrumentation() {
    return this.consumer.events;
  }

  async start(): Promise<void> {
    await withAdmin(this.options.kafka, async (admin) => {
      await ensureTopics(admin, [...this.options.topics, ...this.options.topics.map(Topics.deadLetter)]);
      await this.reconcilePositions(admin);
    });
    // `stop()` may come while this start is still under way (a service shutting down as it boots):
    // after each step, a stopped consumer undoes what it connected and never joins the group.
    if (this.stopped) return;
    await this.dlqProducer?.disconnect().catch(() => undefined); // from an earlier attempt that failed
    const dlqProducer = createIdempotentProducer(this.options.kafka);
    this.dlqProducer = dlqProducer;
    await dlqProducer.connect();
    if (this.stopped) return void (await dlqProducer.disconnect());
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    if (this.stopped) {
      await this.consumer.disconnect();
      await dlqProducer.disconnect();
      return;
    }
    this.running = true;
    const partitionsConsumedConcurrently = this.options.partitionsConsumedConcurrently ?? 1;
    // `run` resolves once the consumer joined its group and got its partitions.
    const joined = this.options.handleBatch
      ? this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently,
          eachBatch: (payload) => this.onBatch(payload),
        })
      : this.consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently,
          eachMessage: (payload) => this.onMessage(payload),
        });
    this.joining = joined.catch(() => undefined);
    await joined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    const timeoutMs = this.options.stopTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), timeoutMs);
    });
    // A join under way is let finish first: kafkajs does not leave a group it is still joining, and
    // the broker would then keep the member until its session timed out, holding every rebalance
    // of the group (other instances included) till then.
    const leave = async (): Promise<'left'> => {
      await this.joining;
      await this.consumer.disconnect();
      return 'left';
    };
    try {
      const outcome = await Promise.race([leave(), timedOut]);
      if (outcome === 'timed-out') {
        this.options.logger?.warn('consumer did not leave its group in time; stopping without waiting', {
          groupId: this.options.groupId,
          timeoutMs,
        });
      }
    } finally {
      clearTimeout(timer);
      await this.dlqProducer?.disconnect();
    }
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const outcome = await this.process(topic, partition, message, heartbeat);
    this.options.onOutcome?.(topic, outcome);
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<ConsumerOutcome> {
    let event: EventEnvelope;
    try {
      event = this.options.registry.decodeBuffer(message.value, this.options.decode);
    } catch (error) {
      const reason = error instanceof ContractViolation ? error.message : `undecodable: ${describeError(error)}`;
      await this.deadLetter(topic, partition, message, 'CONTRACT_VIOLATION', reason, 1);
      return 'dead-lettered';
    }
    const handledTypes = (this.options as { handledTypes?: ReadonlySet<string> }).handledTypes;
    if (handledTypes && !handledTypes.has(event.type)) return 'skipped';

    const maxAttempts = this.options.maxAttempts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.options.dataSource.transaction(async (manager) => {
          const fresh: unknown[] = await manager.query(
            `WITH position AS (${this.positionUpsert('$1', '$3', '$4', '$5')})
             INSERT INTO ${this.s}.processed_messages (consumer, event_id, topic) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [this.options.groupId, event.eventId, topic, partition, (BigInt(message.offset) + 1n).toString()],
          );
          if (fresh.length === 0) return 'duplicate' as const;
          await (this.options.handle as EventHandler)(event, { manager, topic, partition, offset: message.offset, attempt });
          return 'handled' as const;
        });
      } catch (error) {
        if (attempt >= maxAttempts || !this.running) {
          if (!this.running) throw error; // shutting down: leave the offset uncommitted, redelivered later
          await this.deadLetter(topic, partition, message, 'HANDLER_FAILED', describeError(error), attempt);
          return 'dead-lettered';
        }
        this.options.logger?.warn('handler failed; retrying', {
          topic,
          partition,
          offset: message.offset,
          eventId: event.eventId,
          attempt,
          error: describeError(error),
        });
        await sleep(backoff);
        await heartbeat();
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 10_000);
      }
    }
  }

  private async onBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const size = Math.max(1, (this.options as { maxBatchSize?: number }).maxBatchSize ?? 500);
    // kafkajs sends at most one heartbeat per `heartbeatInterval`: calling it often is cheap.
    const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      for (let start = 0; start < batch.messages.length; start += size) {
        if (!isRunning() || isStale()) return; // stopping or rebalanced: the rest is fetched again (by whoever owns it)
        const chunk = batch.messages.slice(start, start + size);
        const outcomes = await this.processChunk(topic, partition, chunk, heartbeat);
        const last = chunk[chunk.length - 1].offset;
        await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
        resolveOffset(last);
        for (const outcome of outcomes) this.options.onOutcome?.(topic, outcome);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Dead-letters the malformed messages, then handles the valid ones; resolves once every effect is durable. */
  private async processChunk(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<ConsumerOutcome[]> {
    const items: BatchItem[] = [];
    const messageOf = new Map<BatchItem, KafkaMessage>();
    const letters: Array<Message & { log: Record<string, unknown> }> = [];
    for (const message of messages) {
      try {
        const item = { event: this.options.registry.decodeBuffer(message.value, this.options.decode), topic, partition, offset: message.offset };
        items.push(item);
        messageOf.set(item, message);
      } catch (error) {
        const reason = error instanceof ContractViolation ? error.message : `undecodable: ${describeError(error)}`;
        letters.push(this.deadLetterMessage(topic, partition, message, 'CONTRACT_VIOLATION', reason, 1));
      }
    }
    await this.deadLetterAll(topic, letters);
    const outcomes: ConsumerOutcome[] = letters.map(() => 'dead-lettered');
    if (items.length) outcomes.push(...(await this.handleItems(items, messageOf, heartbeat)));
    return outcomes;
  }

  /** One transaction for `items`; on failure, halves retried apart, a single message retried then dead-lettered. */
  private async handleItems(
    items: readonly BatchItem[],
    messageOf: ReadonlyMap<BatchItem, KafkaMessage>,
    heartbeat: () => Promise<void>,
  ): Promise<ConsumerOutcome[]> {
    if (items.length === 1) return [await this.handleAlone(items[0], messageOf.get(items[0]) as KafkaMessage, heartbeat)];
    try {
      return await this.transactBatch(items, 1, heartbeat);
    } catch (error) {
      if (!this.running) throw error; // shutting down: nothing committed, redelivered later
      this.options.logger?.warn('batch failed; retrying it in halves', {
        topic: items[0].topic,
        partition: items[0].partition,
        fromOffset: items[0].offset,
        size: items.length,
        error: describeError(error),
      });
      await heartbeat().catch(() => undefined);
      const half = Math.ceil(items.length / 2);
      const first = await this.handleItems(items.slice(0, half), messageOf, heartbeat);
      return [...first, ...(await this.handleItems(items.slice(half), messageOf, heartbeat))];
    }
  }

  private async handleAlone(item: BatchItem, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<ConsumerOutcome> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const [outcome] = await this.transactBatch([item], attempt, heartbeat);
        return outcome;
      } catch (error) {
        if (!this.running) throw error;
        if (attempt >= maxAttempts) {
          await this.deadLetter(item.topic, item.partition, message, 'HANDLER_FAILED', describeError(error), attempt);
          return 'dead-lettered';
        }
        this.options.logger?.warn('handler failed; retrying', {
          topic: item.topic,
          partition: item.partition,
          offset: item.offset,
          eventId: item.event.eventId,
          attempt,
          error: describeError(error),
        });
        await sleep(backoff);
        await heartbeat().catch(() => undefined);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 10_000);
      }
    }
  }

  /**
   * The valid items not processed yet, first copy of each (what `prepareBatch` gets): read without a
   * lock, so the transaction's inbox insert still decides which are handled.
   */
  private async unprocessed(items: readonly BatchItem[]): Promise<BatchItem[]> {
    const rows: Array<{ event_id: string }> = await this.options.dataSource.query(
      `SELECT event_id FROM ${this.s}.processed_messages WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
      [this.options.groupId, items.map((i) => i.event.eventId)],
    );
    const skip = new Set(rows.map((row) => row.event_id.toLowerCase()));
    return items.filter((item) => {
      const id = item.event.eventId.toLowerCase();
      if (skip.has(id)) return false;
      skip.add(id);
      return true;
    });
  }

  /**
   * `prepareBatch` (if any) on the items not processed yet, then in one transaction the inbox
   * records of the whole set in one statement and the handler with the fresh ones.
   */
  private async transactBatch(items: readonly BatchItem[], attempt: number, heartbeat: () => Promise<void>): Promise<ConsumerOutcome[]> {
    const prepare = (this.options as { prepareBatch?: BatchPreparer<P> }).prepareBatch;
    let preparedItems: ReadonlySet<BatchItem> | null = null;
    let prepared = undefined as P;
    if (prepare) {
      const pending = await this.unprocessed(items);
      preparedItems = new Set(pending);
      // Nothing left to prepare: the transaction only records the duplicates.
      if (pending.length) prepared = await prepare(pending, { attempt, heartbeat });
    }
    const committed = await this.options.dataSource.transaction(async (manager) => {
      // A chunk is of one partition: its position is after its last message.
      const next = items.reduce((max, item) => (BigInt(item.offset) + 1n > max ? BigInt(item.offset) + 1n : max), 0n);
      const inserted: Array<{ event_id: string }> = await manager.query(
        `WITH position AS (${this.positionUpsert('$1', '$4', '$5', '$6')})
         INSERT INTO ${this.s}.processed_messages (consumer, event_id, topic)
         SELECT $1, e.id, e.topic FROM unnest($2::uuid[], $3::text[]) AS e(id, topic)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [this.options.groupId, items.map((i) => i.event.eventId), items.map((i) => i.topic), items[0].topic, items[0].partition, next.toString()],
      );
      const fresh = new Set(inserted.map((row) => row.event_id.toLowerCase()));
      const outcomes: ConsumerOutcome[] = [];
      const handled: BatchItem[] = [];
      for (const item of items) {
        const id = item.event.eventId.toLowerCase();
        // The first copy of an event in the set is the fresh one; later copies are duplicates.
        if (fresh.delete(id)) {
          handled.push(item);
          outcomes.push('handled');
        } else outcomes.push('duplicate');
      }
      // Only an inbox record deleted since `unprocessed` read it makes an item fresh but not prepared:
      // fail the attempt (nothing is committed) so that the retry prepares it.
      if (preparedItems && handled.some((item) => !preparedItems.has(item))) {
        throw new Error('an event became unprocessed after its batch was prepared; retrying');
      }
      if (handled.length) await (this.options.handleBatch as BatchHandler<P>)(handled, { manager, attempt, heartbeat, prepared });
      return outcomes;
    });
    const afterCommit = (this.options as { afterCommit?: (prepared: P) => Promise<void> }).afterCommit;
    if (afterCommit && preparedItems?.size) {
      await afterCommit(prepared).catch((error: unknown) =>
        this.options.logger?.warn('after-commit hook failed (the batch is committed)', { groupId: this.options.groupId, error: describeError(error) }),
      );
    }
    return committed;
  }

  /** The statement (for a `WITH`) that moves the group's position on a partition forward, never back. */
  private positionUpsert(consumer: string, topic: string, partition: string, next: string): string {
    return `INSERT INTO ${this.s}.consumer_positions AS p (consumer, topic, partition, next_offset)
            VALUES (${consumer}, ${topic}, ${partition}::integer, ${next}::bigint)
            ON CONFLICT (consumer, topic, partition)
            DO UPDATE SET next_offset = GREATEST(p.next_offset, EXCLUDED.next_offset), updated_at = now()`;
  }

  /**
   * Before joining the group, Kafka's committed offsets and the positions in Postgres are made to
   * agree where one side has none: a partition Kafka has no offset for (the group's offsets expired
   * while it was away, or the broker's state was lost) resumes from the position in Postgres
   * instead of from the beginning; a partition with a Kafka offset but no position yet (progress
   * made before positions were recorded) gets it as its position. Where both exist they are left
   * alone: an operator who moves the group's offsets on purpose is obeyed.
   */
  private async reconcilePositions(admin: Admin): Promise<void> {
    const { groupId } = this.options;
    const stored: Array<{ topic: string; partition: number; next_offset: string }> = await this.options.dataSource.query(
      `SELECT topic, partition, next_offset FROM ${this.s}.consumer_positions WHERE consumer = $1 AND topic = ANY($2::text[])`,
      [groupId, [...this.options.topics]],
    );
    const storedAt = new Map(stored.map((row) => [`${row.topic}:${row.partition}`, row.next_offset]));
    const committed = await admin.fetchOffsets({ groupId, topics: [...this.options.topics] });
    const restore = new Map<string, Array<{ partition: number; offset: string }>>();
    const seed: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const position = storedAt.get(`${topic}:${partition}`);
        if (offset === '-1' && position !== undefined) restore.set(topic, [...(restore.get(topic) ?? []), { partition, offset: position }]);
        else if (offset !== '-1' && position === undefined) seed.push({ topic, partition, offset });
      }
    }
    if (seed.length) {
      await this.options.dataSource.query(
        `INSERT INTO ${this.s}.consumer_positions (consumer, topic, partition, next_offset)
         SELECT $1, s.topic, s.partition, s.next FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS s(topic, partition, next)
         ON CONFLICT DO NOTHING`,
        [groupId, seed.map((x) => x.topic), seed.map((x) => x.partition), seed.map((x) => x.offset)],
      );
    }
    for (const [topic, partitions] of restore) {
      try {
        await admin.setOffsets({ groupId, topic, partitions });
        this.options.logger?.warn('Kafka had no offsets for the group: resuming from the positions recorded in Postgres', { groupId, topic, partitions });
      } catch (error) {
        // Another instance is already in the group: it resumes as Kafka says; the inbox skips repeats.
        this.options.logger?.warn('could not restore the group positions from Postgres (is another instance running?)', {
          groupId,
          topic,
          error: describeError(error),
        });
      }
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    code: string,
    reason: string,
    attempts: number,
  ): Promise<void> {
    await this.deadLetterAll(topic, [this.deadLetterMessage(topic, partition, message, code, reason, attempts)]);
  }

  /** Sends dead letters of one topic in one request, acknowledged by every replica. */
  private async deadLetterAll(topic: string, letters: Array<Message & { log: Record<string, unknown> }>): Promise<void> {
    if (letters.length === 0) return;
    await (this.dlqProducer as Producer).send({
      topic: Topics.deadLetter(topic),
      acks: -1,
      messages: letters.map(({ key, value, headers }) => ({ key, value, headers })),
    });
    for (const letter of letters) this.options.logger?.error('message dead-lettered', letter.log);
  }

  private deadLetterMessage(
    topic: string,
    partition: number,
    message: KafkaMessage,
    code: string,
    reason: string,
    attempts: number,
  ): Message & { log: Record<string, unknown> } {
    const headers: IHeaders = {
      ...message.headers,
      'dlq-error-code': code,
      'dlq-error': reason.slice(0, 2000),
      'dlq-original-topic': topic,
      'dlq-original-partition': String(partition),
      'dlq-original-offset': message.offset,
      'dlq-consumer-group': this.options.groupId,
      'dlq-attempts': String(attempts),
      'dlq-failed-at': new Date().toISOString(),
    };
    return { key: message.key, value: message.value, headers, log: { topic, partition, offset: message.offset, code, reason } };
  }
}
