import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Topics, userDeprovisionedV1, type EventEnvelope } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import type { HandlerContext } from '@warden/messaging';
import { CONFIG, Metrics } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { OffboardingService } from '../case/offboarding.service';
import { BackgroundConsumer } from '../core/background-consumer.util';
import type { OffboardingConfig } from '../core/config';
import { CONSUMER_KAFKA } from '../saga/answers-lag.service';

/**
 * The identity provider's trigger: `UserDeprovisioned` (SCIM `active=false` or delete) on the
 * authorization events starts a case at once (or makes an open, scheduled one take effect now),
 * in the inbox transaction, so a redelivered event starts nothing twice.
 */
@Injectable()
export class DeprovisionConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer = new BackgroundConsumer('SCIM', new Logger('ScimDeprovision'));

  constructor(
    @Inject(CONSUMER_KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly cases: OffboardingService,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    this.consumer.start({
      kafka: this.kafka,
      groupId: `${prefix}offboarding.scim`,
      topics: [`${prefix}${Topics.events('authorization')}`],
      dataSource: this.dataSource,
      schema: this.store.schema,
      metrics: this.metrics,
      handle: (event, context) => this.handle(event, context),
      handledTypes: new Set(['UserDeprovisioned']),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async handle(event: EventEnvelope, { manager }: HandlerContext): Promise<void> {
    if (event.type !== 'UserDeprovisioned') return;
    const data = userDeprovisionedV1.parse(event.data);
    await this.cases.startFromScim(data, event, manager);
  }
}
