import { ContractViolation, type DecodeOptions, type EventEnvelope, type EventRegistry, Topics } from '@warden/contracts';
import { quoteSchema } from '@warden/event-store';
import type { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { createIdempotentProducer, ensureTopics, type KafkaLogger } from './kafka';

export type HandlerContext = {
  /** The transaction the inbox record is written in: write the handler's effect through it. */
  manager: EntityManager;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
};

export type EventHandler = (event: EventEnvelope, context: HandlerContext) => Promise<void>;

export type ConsumerOutcome = 'handled' | 'duplicate' | 'dead-lettered';

export type EventConsumerOptions = {
  kafka: Kafka;
  /** One consumer group per service (and purpose): instances of a service share the partitions. */
  groupId: string;
  topics: readonly string[];
  dataSource: DataSource;
  /** The schema holding this service's `processed_messages` table. */
  schema: string;
  registry: EventRegistry;
  decode?: DecodeOptions;
  handle: EventHandler;
  /** Attempts before a message goes to the dead-letter topic. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  fromBeginning?: boolean;
  logger?: KafkaLogger & { info(message: string, context?: Record<string, unknown>): void };
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
 * - the offset is committed only after the effect (or the dead letter) is durable.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private dlqProducer: Producer | null = null;
  private readonly s: string;
  private running = false;

  constructor(private readonly options: EventConsumerOptions) {
    this.s = quoteSchema(options.schema);
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, retries: 10 },
    });
  }

  get instrumentation() {
    return this.consumer.events;
  }

  async start(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [...this.options.topics, ...this.options.topics.map(Topics.deadLetter)]);
    } finally {
      await admin.disconnect();
    }
    this.dlqProducer = createIdempotentProducer(this.options.kafka);
    await this.dlqProducer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: (payload) => this.onMessage(payload),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
    await this.dlqProducer?.disconnect();
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

    const maxAttempts = this.options.maxAttempts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.options.dataSource.transaction(async (manager) => {
          const fresh: unknown[] = await manager.query(
            `INSERT INTO ${this.s}.processed_messages (consumer, event_id, topic) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [this.options.groupId, event.eventId, topic],
          );
          if (fresh.length === 0) return 'duplicate' as const;
          await this.options.handle(event, { manager, topic, partition, offset: message.offset, attempt });
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

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    code: string,
    reason: string,
    attempts: number,
  ): Promise<void> {
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
    await (this.dlqProducer as Producer).send({
      topic: Topics.deadLetter(topic),
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    this.options.logger?.error('message dead-lettered', { topic, partition, offset: message.offset, code, reason });
  }
}
