import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@warden/contracts';
import { createKafka } from '@warden/messaging';
import { CONFIG } from '@warden/platform';
import type { Admin, Kafka } from 'kafkajs';
import type { OffboardingConfig } from '../core/config';

/** The session timeout of `EventConsumer` (libs/messaging): how long a dead member keeps its partitions. */
export const CONSUMER_SESSION_TIMEOUT_MS = 30_000;

/** The Kafka client of this service's consumers (see `consumerKafka`). */
export const CONSUMER_KAFKA = Symbol('OFFBOARDING_CONSUMER_KAFKA');

/**
 * The Kafka client of the consumers. Its request timeout is above the consumer session timeout:
 * after a crash, a new instance's `SyncGroup` waits at the broker until the dead instance's member
 * expires (up to the session timeout); with the platform's 10 s request timeout kafkajs gave up
 * first, crashed the consumer and rejoined as a new member, which itself lingered another session
 * timeout — the partitions came back only after a minute or more.
 */
export function consumerKafka(config: OffboardingConfig): Kafka {
  const logger = new Logger('Kafka');
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'offboarding',
    requestTimeout: CONSUMER_SESSION_TIMEOUT_MS + 10_000,
    logger: {
      warn: (message, context) => logger.warn({ ...context }, message),
      error: (message, context) => logger.error({ ...context }, message),
    },
  });
}

/** The consumer group and topics of the saga's answers (the events of the services its commands go to). */
export const answersSubscription = (prefix: string) => ({
  groupId: `${prefix}offboarding.answers`,
  topics: (['authorization', 'customer-records', 'exports', 'audit'] as const).map((service) => `${prefix}${Topics.events(service)}`),
});

/** Pure: whether a group's committed offsets are behind the topics' ends (no commit: from the start). */
export function isBehind(
  committed: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; offset: string }> }>,
  ends: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; high: string; low: string }> }>,
): boolean {
  const at = new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const)));
  return ends.some((t) =>
    t.partitions.some((p) => {
      const done = at.get(`${t.topic}:${p.partition}`) ?? -1n;
      return (done < 0n ? BigInt(p.low) : done) < BigInt(p.high);
    }),
  );
}

/**
 * Whether the saga's answers consumer has read everything on its topics. The hand-over watchdog
 * asks it before counting customer-records' silence as a failed attempt: while this service's own
 * consumer is behind (rebalancing after a crash, catching up), the answer may be waiting on the
 * topic and the silence is ours, not customer-records'.
 */
@Injectable()
export class AnswersLagService implements OnApplicationShutdown {
  private readonly logger = new Logger('OffboardingAnswersLag');
  private admin: Admin | null = null;

  constructor(
    @Inject(CONSUMER_KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
  ) {}

  /** True when the answers consumer is behind; false when it is caught up or Kafka cannot tell (fail towards counting). */
  async behind(): Promise<boolean> {
    const { groupId, topics } = answersSubscription(this.config.KAFKA_TOPIC_PREFIX);
    try {
      const admin = await this.connected();
      const committed = await admin.fetchOffsets({ groupId, topics });
      const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
      return isBehind(committed, ends);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not read the answers consumer lag');
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin();
    await admin.connect();
    this.admin = admin;
    return admin;
  }
}
