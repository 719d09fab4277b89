import { Kafka, logLevel, Partitioners, type Admin, type ITopicConfig, type LogEntry, type Producer } from 'kafkajs';

export type KafkaLogger = {
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
};

export type KafkaClientOptions = {
  brokers: readonly string[];
  clientId: string;
  logger?: KafkaLogger;
  /** How long a request may wait for a broker (ms). */
  requestTimeout?: number;
};

/** A kafkajs client whose own log lines go through the service's logger (warnings and errors only). */
export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    requestTimeout: options.requestTimeout ?? 10_000,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        if (!options.logger) return;
        const { message, ...context } = log;
        // The relay re-sends on failure and consumers deduplicate by event id, so bounded retries are intended.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        if (level <= logLevel.ERROR) options.logger.error(`kafka: ${message}`, context);
        else options.logger.warn(`kafka: ${message}`, context);
      },
  });
}

/** An idempotent producer: no duplicates from its own retries, order kept per partition, acks from all replicas. */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  });
}

/** Creates the topics that do not exist yet. Event topics keep everything: they are the audit trail. */
export async function ensureTopics(admin: Admin, topics: ReadonlyArray<string | ITopicConfig>): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics
    .map((t) => (typeof t === 'string' ? { topic: t } : t))
    .filter((t) => !existing.has(t.topic))
    .map((t) => ({
      numPartitions: 3,
      replicationFactor: -1,
      ...t,
      configEntries: t.configEntries ?? [
        { name: 'retention.ms', value: '-1' },
        { name: 'min.insync.replicas', value: '1' },
      ],
    }));
  if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
}
