import type { Logger } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { EventConsumer, type EventHandler } from '@warden/messaging';
import type { Metrics } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';

export type BackgroundConsumerOptions = {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  dataSource: DataSource;
  /** The schema holding the service's `processed_messages` table. */
  schema: string;
  metrics: Metrics;
  handle: EventHandler;
  /** The event types `handle` acts on; others are passed over without a transaction (see `EventConsumer`). */
  handledTypes: ReadonlySet<string>;
};

/**
 * One of the service's event consumers (any event type accepted, the envelope checked, the inbox
 * in `schema`), for a provider to start on bootstrap and stop on shutdown. Kafka may be down at
 * boot: `start` keeps trying in the background (backing off to 10 s) while the HTTP API serves.
 */
export class BackgroundConsumer {
  private consumer: EventConsumer | null = null;

  /** `name` says which consumer in the retry warning (`<name> consumer could not start`). */
  constructor(
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  start(options: BackgroundConsumerOptions): void {
    const { metrics, ...subscription } = options;
    this.consumer = new EventConsumer({
      ...subscription,
      registry: eventRegistry,
      decode: { allowUnknownTypes: true },
      logger: {
        info: (m, c) => this.logger.log({ ...c }, m),
        warn: (m, c) => this.logger.warn({ ...c }, m),
        error: (m, c) => this.logger.error({ ...c }, m),
      },
      onOutcome: (topic, outcome) => metrics.consumed.inc({ topic, outcome }),
    });
    void this.startWithRetry();
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop().catch(() => undefined);
  }

  private async startWithRetry(): Promise<void> {
    for (let delay = 500; this.consumer; delay = Math.min(delay * 2, 10_000)) {
      try {
        await this.consumer.start();
        return;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, `${this.name} consumer could not start; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
