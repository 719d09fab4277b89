import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import type { Admin } from 'kafkajs';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Metrics } from './metrics';
import { KAFKA_ADMIN } from './tokens';

/** A scrape waits at most this long for Postgres and Kafka; past it the gauge is left empty. */
const SCRAPE_TIMEOUT_MS = 2000;

export type ConsumerLag = { consumer: string; topic: string; partition: number; lag: number };

/**
 * `warden_consumer_lag_messages{consumer, topic, partition}`: messages on each partition a
 * consumer group of this service has not handled yet (the topic's high watermark less the
 * group's position recorded in Postgres, `consumer_positions`), computed when /metrics is scraped.
 * Partitions a group has handled nothing of yet are not reported. If Postgres or Kafka does not
 * answer within 2 s, the scrape has no lag series (and the warning is logged) rather than waiting.
 */
@Injectable()
export class ConsumerLagMetric {
  private readonly logger = new Logger('ConsumerLag');

  constructor(
    metrics: Metrics,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
  ) {
    const lagOf = () => this.lag();
    const logger = this.logger;
    new Gauge({
      name: 'warden_consumer_lag_messages',
      help: "Messages not yet handled by each consumer group of this service, per partition (high watermark less the group's position in Postgres)",
      labelNames: ['consumer', 'topic', 'partition'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        try {
          for (const { consumer, topic, partition, lag } of await lagOf()) this.set({ consumer, topic, partition: String(partition) }, lag);
        } catch (error) {
          logger.warn({ err: (error as Error).message }, 'consumer lag not measured for this scrape');
        }
      },
    });
  }

  /** Each recorded (group, topic, partition) position against its topic's high watermark. */
  async lag(): Promise<ConsumerLag[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Postgres or Kafka did not answer within ${SCRAPE_TIMEOUT_MS} ms`)), SCRAPE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.measure(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async measure(): Promise<ConsumerLag[]> {
    const positions: Array<{ consumer: string; topic: string; partition: number; next_offset: string }> = await this.dataSource.query(
      `SELECT consumer, topic, partition, next_offset FROM ${quoteSchema(this.store.schema)}.consumer_positions ORDER BY consumer, topic, partition`,
    );
    if (positions.length === 0) return [];
    await this.admin.connect();
    const topics = [...new Set(positions.map((p) => p.topic))];
    const highs = new Map<string, bigint>();
    for (const topic of topics) {
      for (const { partition, high } of await this.admin.fetchTopicOffsets(topic)) highs.set(`${topic}:${partition}`, BigInt(high));
    }
    return positions.flatMap(({ consumer, topic, partition, next_offset: next }) => {
      const high = highs.get(`${topic}:${partition}`);
      if (high === undefined) return [];
      const lag = high - BigInt(next);
      return [{ consumer, topic, partition, lag: Number(lag > 0n ? lag : 0n) }];
    });
  }
}
