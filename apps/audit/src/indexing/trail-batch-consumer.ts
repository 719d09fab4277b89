import { ContractViolation, Topics, type DecodeOptions, type EventEnvelope, type EventRegistry } from '@warden/contracts';
import { connectProducer, type ConsumerOutcome, type KafkaLogger } from '@warden/messaging';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import type { IndexOutcome, TrailIndexer, TrailItem } from './trail-indexer';

export type TrailBatchConsumerOptions = {
  kafka: Kafka;
  groupId: string;
  /** The topics as named on the broker (with the deployment's prefix). */
  topics: readonly string[];
  /** The deployment's topic prefix, removed before indexing (the trail stores canonical topic names). */
  topicPrefix: string;
  dataSource: DataSource;
  indexer: TrailIndexer;
  registry: EventRegistry;
  decode?: DecodeOptions;
  /** Most events indexed in one transaction (a Kafka batch larger than that is split). */
  maxBatch?: number;
  /** Attempts of a batch (and then of each of its events alone) before dead-lettering. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: KafkaLogger & { info(message: string, context?: Record<string, unknown>): void };
  onOutcome?: (topic: string, outcome: ConsumerOutcome) => void;
  /** Told about each event indexed with a broken chain link (after its batch committed). */
  onBreak?: (item: TrailItem, outcome: Extract<IndexOutcome, { duplicate: false }>) => void;
};

type Decoded = { message: KafkaMessage; item: TrailItem };
type Chunk = { topic: string; partition: number; messages: KafkaMessage[] };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describeError = (error: unknown): string => {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
};

/** Thrown to abandon a batch on shutdown or rebalance: its offsets stay uncommitted. */
class Abandoned extends Error {}

/**
 * The trail's consumer, a batch at a time (kafkajs `eachBatch`), with the guarantees of
 * `EventConsumer` (libs/messaging, which handles one message per transaction):
 * - each message's envelope is validated; one that is not an envelope goes to `<topic>.dlq`
 *   with the reason (`CONTRACT_VIOLATION`) and the batch carries on without it;
 * - the valid events of a batch (at most `maxBatch`) are indexed in one transaction through
 *   `TrailIndexer.indexBatch`, idempotent by event id (a redelivered batch changes nothing);
 * - a failing batch is retried with backoff, then its events are indexed one per transaction so
 *   that only an event that keeps failing is dead-lettered (`HANDLER_FAILED`);
 * - the partition's offset is committed only after the batch's transaction (and its dead
 *   letters) are durable; on shutdown or rebalance mid-batch nothing more is committed, and the
 *   uncommitted rest is redelivered to whoever owns the partition next.
 */
export class TrailBatchConsumer {
  private readonly consumer: Consumer;
  private dlqProducer: Producer | null = null;
  private running = false;

  constructor(private readonly options: TrailBatchConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, retries: 10 },
    });
  }

  async start(): Promise<void> {
    this.dlqProducer = await connectProducer(this.options.kafka, [...this.options.topics, ...this.options.topics.map(Topics.deadLetter)]);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
    await this.dlqProducer?.disconnect();
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const size = this.options.maxBatch ?? 1000;
    const live = () => this.running && isRunning() && !isStale();
    for (let from = 0; from < batch.messages.length; from += size) {
      if (!live()) return;
      const chunk: Chunk = { topic: batch.topic, partition: batch.partition, messages: batch.messages.slice(from, from + size) };
      try {
        await this.processChunk(chunk, heartbeat, live);
      } catch (error) {
        if (error instanceof Abandoned) return;
        throw error;
      }
      const last = chunk.messages[chunk.messages.length - 1].offset;
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      resolveOffset(last);
      await heartbeat();
    }
  }

  private async processChunk(chunk: Chunk, heartbeat: () => Promise<void>, live: () => boolean): Promise<void> {
    const { topic } = chunk;
    const canonicalTopic = topic.startsWith(this.options.topicPrefix) ? topic.slice(this.options.topicPrefix.length) : topic;
    const valid: Decoded[] = [];
    const malformed: Array<{ message: KafkaMessage; reason: string }> = [];
    for (const message of chunk.messages) {
      try {
        const event: EventEnvelope = this.options.registry.decodeBuffer(message.value, this.options.decode);
        valid.push({ message, item: { topic: canonicalTopic, event } });
      } catch (error) {
        const reason = error instanceof ContractViolation ? error.message : `undecodable: ${describeError(error)}`;
        malformed.push({ message, reason });
      }
    }
    if (malformed.length) {
      await this.deadLetter(
        chunk,
        malformed.map((m) => ({ ...m, code: 'CONTRACT_VIOLATION', attempts: 1 })),
      );
      malformed.forEach(() => this.options.onOutcome?.(topic, 'dead-lettered'));
    }
    if (valid.length === 0) return;

    const outcomes = await this.withRetry(() => this.indexInTransaction(valid), heartbeat, live).catch(async (error: unknown) => {
      if (error instanceof Abandoned) throw error;
      this.options.logger?.warn('batch failed; indexing its events one by one', { topic, partition: chunk.partition, events: valid.length, error: describeError(error) });
      return this.oneByOne(chunk, valid, heartbeat, live);
    });
    outcomes.forEach((outcome, i) => this.report(valid[i].item, outcome, topic));
  }

  private indexInTransaction(valid: readonly Decoded[]): Promise<IndexOutcome[]> {
    return this.options.dataSource.transaction((manager) => this.options.indexer.indexBatch(manager, valid.map((d) => d.item)));
  }

  /** The events of a batch that keeps failing, each alone: only those that still fail are dead-lettered. */
  private async oneByOne(chunk: Chunk, valid: readonly Decoded[], heartbeat: () => Promise<void>, live: () => boolean): Promise<Array<IndexOutcome | null>> {
    const outcomes: Array<IndexOutcome | null> = [];
    for (const decoded of valid) {
      try {
        const [outcome] = await this.withRetry(() => this.indexInTransaction([decoded]), heartbeat, live);
        outcomes.push(outcome);
      } catch (error) {
        if (error instanceof Abandoned) throw error;
        await this.deadLetter(chunk, [{ message: decoded.message, reason: describeError(error), code: 'HANDLER_FAILED', attempts: this.options.maxAttempts ?? 5 }]);
        outcomes.push(null);
      }
    }
    return outcomes;
  }

  private async withRetry<T>(work: () => Promise<T>, heartbeat: () => Promise<void>, live: () => boolean): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (!live()) throw new Abandoned(describeError(error));
        if (attempt >= maxAttempts) throw error;
        this.options.logger?.warn('indexing failed; retrying', { attempt, error: describeError(error) });
        await sleep(backoff);
        await heartbeat();
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 10_000);
      }
    }
  }

  private report(item: TrailItem, outcome: IndexOutcome | null, topic: string): void {
    if (outcome === null) {
      this.options.onOutcome?.(topic, 'dead-lettered');
      return;
    }
    this.options.onOutcome?.(topic, outcome.duplicate ? 'duplicate' : 'handled');
    if (!outcome.duplicate && outcome.break) this.options.onBreak?.(item, outcome);
  }

  private async deadLetter(
    chunk: Chunk,
    letters: ReadonlyArray<{ message: KafkaMessage; reason: string; code: string; attempts: number }>,
  ): Promise<void> {
    const failedAt = new Date().toISOString();
    await (this.dlqProducer as Producer).send({
      topic: Topics.deadLetter(chunk.topic),
      acks: -1,
      messages: letters.map(({ message, reason, code, attempts }) => {
        const headers: IHeaders = {
          ...message.headers,
          'dlq-error-code': code,
          'dlq-error': reason.slice(0, 2000),
          'dlq-original-topic': chunk.topic,
          'dlq-original-partition': String(chunk.partition),
          'dlq-original-offset': message.offset,
          'dlq-consumer-group': this.options.groupId,
          'dlq-attempts': String(attempts),
          'dlq-failed-at': failedAt,
        };
        return { key: message.key, value: message.value, headers };
      }),
    });
    for (const { message, code, reason } of letters) {
      this.options.logger?.error('message dead-lettered', { topic: chunk.topic, partition: chunk.partition, offset: message.offset, code, reason });
    }
  }
}
