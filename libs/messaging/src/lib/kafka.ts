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

/** Runs `use` with an admin client connected for it, disconnected after. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Makes sure `topics` exist, then connects an idempotent producer (`createIdempotentProducer`) to send to them. */
export async function connectProducer(kafka: Kafka, topics: ReadonlyArray<string | ITopicConfig>): Promise<Producer> {
  await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  return producer;
}

/** Broker answers that mean "the new topic is not ready on this broker yet", not "it failed". */
const NOT_READY_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Creates the topics that do not exist yet and waits until every partition of every topic has a
 * leader. Event topics keep everything: they are the audit trail.
 *
 * kafkajs's own `waitForLeaders` gives up at once when the broker's metadata has not caught up with
 * the controller yet ("does not host this topic-partition"), which a loaded KRaft broker answers for a
 * moment after creating a topic; this waits through that answer until `timeoutMs`.
 */
export async function ensureTopics(
  admin: Admin,
  topics: ReadonlyArray<string | ITopicConfig>,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
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
  // Resolves false when another process created them all first; that is fine.
  if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: false });
  await waitForTopicLeaders(
    admin,
    topics.map((t) => (typeof t === 'string' ? t : t.topic)),
    timeoutMs,
  );
}

/** Waits until the broker knows every partition of `topics` and each has a leader. */
export async function waitForTopicLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    let waitingFor: string;
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = metadata.find((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (!leaderless) return;
      waitingFor = `a leader for every partition of ${leaderless.name}`;
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (!type || !NOT_READY_YET.has(type)) throw error;
      waitingFor = `the broker to answer for ${topics.join(', ')} (${type})`;
    }
    if (Date.now() + delay > deadline) {
      throw new Error(`Kafka topics not ready after ${timeoutMs} ms: still waiting for ${waitingFor}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
