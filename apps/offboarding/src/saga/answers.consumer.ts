import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventEnvelope } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import type { HandlerContext } from '@warden/messaging';
import { CONFIG, Metrics } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { BackgroundConsumer } from '../core/background-consumer.util';
import type { OffboardingConfig } from '../core/config';
import { answersSubscription, CONSUMER_KAFKA } from './answers-lag.service';
import { SagaService } from './saga.service';

/**
 * The fields this service reads of customer-records' answers. The registry validates the whole
 * event when its contract is registered; until then the consumer accepts the type (envelope
 * checked) and these checks keep malformed answers out.
 */
const progressed = z.object({ transferId: z.uuid(), done: z.number().int().min(0), total: z.number().int().min(0) });
const transferred = z.object({ transferId: z.uuid(), count: z.number().int().min(0) });

/**
 * Answers to the saga's commands: `CustomersTransferProgressed` / `CustomersTransferred` from
 * customer-records (recorded on the case as hand-over progress), `ExportCancelled` by offboarding
 * from exports (counted on the case). Each handled in the inbox transaction: exactly once.
 */
@Injectable()
export class AnswersConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer = new BackgroundConsumer('answers', new Logger('OffboardingAnswers'));
  private readonly s: string;

  constructor(
    @Inject(CONSUMER_KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly saga: SagaService,
    private readonly metrics: Metrics,
  ) {
    this.s = quoteSchema(store.schema);
  }

  onApplicationBootstrap(): void {
    this.consumer.start({
      kafka: this.kafka,
      ...answersSubscription(this.config.KAFKA_TOPIC_PREFIX),
      dataSource: this.dataSource,
      schema: this.store.schema,
      metrics: this.metrics,
      handle: (event, context) => this.handle(event, context),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  async handle(event: EventEnvelope, { manager }: HandlerContext): Promise<void> {
    switch (event.type) {
      case 'CustomersTransferProgressed': {
        const data = progressed.parse(event.data);
        const caseId = await this.caseOfTransfer(data.transferId, manager);
        if (!caseId) return;
        await this.saga.handle(caseId, { type: 'RecordHandoverProgress', data }, new Date(), manager, event.eventId);
        return;
      }
      case 'CustomersTransferred': {
        const data = transferred.parse(event.data);
        const caseId = await this.caseOfTransfer(data.transferId, manager);
        if (!caseId) return;
        await this.saga.handle(caseId, { type: 'CompleteHandover', data }, new Date(), manager, event.eventId);
        return;
      }
      case 'ExportCancelled': {
        if (event.data.canceller !== 'offboarding') return;
        await manager.query(
          `UPDATE ${this.s}.offboarding_cases SET exports_cancelled = exports_cancelled + 1 WHERE case_id::text = $1 AND user_id = $2`,
          [event.correlationId, event.data.requesterId],
        );
        return;
      }
      default:
        return; // other events of these topics are not the saga's business
    }
  }

  private async caseOfTransfer(transferId: string, manager: HandlerContext['manager']): Promise<string | null> {
    const rows: Array<{ case_id: string }> = await manager.query(
      `SELECT case_id FROM ${this.s}.offboarding_cases WHERE transfer_id = $1`,
      [transferId],
    );
    return rows[0]?.case_id ?? null;
  }
}
