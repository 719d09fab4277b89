import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandRegistry, Topics, type CommandEnvelope, type TransferCustomersCommand } from '@warden/contracts';
import { consumerLogger, EventConsumer, startWithRetry } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { CustomerRecordsConfig } from '../core/config';
import { CustomerTransferProcessor } from './transfer.processor';

/** The consumer group of the `TransferCustomers` command (after the deployment's topic prefix). */
export const TRANSFER_COMMANDS_GROUP = 'customer-records.transfer-commands';

/**
 * Consumes `TransferCustomers` from `Topics.commands('customer-records')` (recording each request
 * in the inbox transaction) and runs the transfer processor. Kafka down at boot: the consumer keeps
 * trying in the background; the processor goes on with transfers already recorded.
 */
@Injectable()
export class TransferRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TransferRuntime');
  private consumer: EventConsumer | null = null;
  private stopped = false;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly processor: CustomerTransferProcessor,
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: CustomerRecordsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.processor.start();
    this.starting = this.startConsumer();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.consumer?.stop().catch(() => undefined);
    await this.processor.stop();
  }

  private async startConsumer(): Promise<void> {
    this.consumer = await startWithRetry(
      () =>
        new EventConsumer({
          kafka: this.kafka,
          groupId: `${this.config.KAFKA_TOPIC_PREFIX}${TRANSFER_COMMANDS_GROUP}`,
          topics: [`${this.config.KAFKA_TOPIC_PREFIX}${Topics.commands('customer-records')}`],
          dataSource: this.dataSource,
          schema: this.config.CUSTOMER_RECORDS_DB_SCHEMA,
          registry: new CommandRegistry(['TransferCustomers'], 'customer-records'),
          handle: async (event, { manager }) => {
            await this.processor.request(
              {
                commandId: event.eventId,
                type: event.type,
                issuedAt: event.occurredAt,
                actor: event.actor,
                correlationId: event.correlationId,
                data: event.data as TransferCustomersCommand,
              } satisfies CommandEnvelope<TransferCustomersCommand>,
              manager,
            );
            // The inbox transaction commits after the handler: look for the new transfer shortly.
            setTimeout(() => this.processor.kick(), 50).unref();
          },
          logger: consumerLogger(this.logger),
        }),
      {
        stopped: () => this.stopped,
        onRetry: (error, retryInMs) => this.logger.warn({ err: error.message, retryInMs }, 'transfer command consumer could not start; retrying'),
      },
    );
  }
}
