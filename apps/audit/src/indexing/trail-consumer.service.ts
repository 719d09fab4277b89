import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventRegistry, SERVICES, Topics } from '@warden/contracts';
import { CONFIG, KAFKA, Metrics } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { AuditConfig } from '../core/config';
import { TrailBatchConsumer } from './trail-batch-consumer';
import { TrailIndexer } from './trail-indexer';

/** Every topic the trail is built from: each service's events, the read events and the alerts. */
export const TRAIL_TOPICS: readonly string[] = [...SERVICES.map((service) => Topics.events(service)), Topics.access, Topics.alerts];

/**
 * The envelope is validated, the data is not: an event of a type (or version) this build does not
 * know is still evidence, and is stored exactly as received (decoding would upcast its data and so
 * change what its hash covers). A message that is not a valid envelope goes to the DLQ.
 */
const envelopeOnly = new EventRegistry();

/** Consumes every trail topic into the audit store, a batch per transaction (one consumer group for the audit service). */
@Injectable()
export class TrailConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TrailConsumer');
  private consumer: TrailBatchConsumer | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly indexer: TrailIndexer,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.AUDIT_CONSUME) return;
    this.starting = this.startWithRetry();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    await this.consumer?.stop().catch(() => undefined);
  }

  private async startWithRetry(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    let backoff = 500;
    while (!this.stopped) {
      const consumer = new TrailBatchConsumer({
        kafka: this.kafka,
        groupId: `${prefix}audit.trail`,
        topics: TRAIL_TOPICS.map((topic) => `${prefix}${topic}`),
        topicPrefix: prefix,
        dataSource: this.dataSource,
        indexer: this.indexer,
        registry: envelopeOnly,
        decode: { allowUnknownTypes: true },
        maxBatch: this.config.AUDIT_INDEX_BATCH_SIZE,
        onBreak: ({ topic, event }, outcome) =>
          this.logger.error(
            { eventId: event.eventId, streamId: event.streamId, streamVersion: event.streamVersion, topic, position: outcome.position, kind: outcome.break?.kind },
            'hash chain broken on arrival',
          ),
        onOutcome: (topic, outcome) => this.metrics.consumed.inc({ topic, outcome }),
        logger: {
          info: (message, context) => this.logger.log({ ...context }, message),
          warn: (message, context) => this.logger.warn({ ...context }, message),
          error: (message, context) => this.logger.error({ ...context }, message),
        },
      });
      try {
        await consumer.start();
        this.consumer = consumer;
        return;
      } catch (error) {
        await consumer.stop().catch(() => undefined);
        this.logger.warn({ error: (error as Error).message, retryInMs: backoff }, 'trail consumer could not start; retrying');
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }
}
