import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Topics, type CommandEnvelope, type TransferCustomersCommand } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { connectProducer } from '@warden/messaging';
import { CONFIG, KAFKA, NotFoundError, createBreaker } from '@warden/platform';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { v4 as uuidv4 } from 'uuid';
import type { CustomerRecordsConfig } from '../core/config';
import type { RequestTransferBody, TransferView } from './transfer.dto';

type TransferRow = {
  transfer_id: string;
  from_user_id: string;
  to_user_id: string | null;
  to_pool_user_ids: string[] | null;
  reason: string;
  status: 'running' | 'completed';
  done: number;
  total: number | null;
  requested_by: string;
  requested_at: Date;
  completed_at: Date | null;
};

/** Issues `TransferCustomers` commands over Kafka (as offboarding does) and reads transfers. */
@Injectable()
export class TransferService implements OnModuleDestroy {
  private producer: Producer | null = null;
  private readonly topic: string;
  private readonly send: (command: CommandEnvelope<TransferCustomersCommand>) => Promise<void>;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) config: CustomerRecordsConfig,
  ) {
    this.topic = `${config.KAFKA_TOPIC_PREFIX}${Topics.commands('customer-records')}`;
    // Kafka down or slow: 503 SERVICE_UNAVAILABLE rather than a request hanging.
    this.send = createBreaker((command: CommandEnvelope<TransferCustomersCommand>) => this.produce(command), {
      name: 'kafka.transfer-commands',
      timeout: 5000,
    }).fire;
  }

  /** Sends the command; the transfer runs in the background (see `GET /v1/customers/transfers/:id`). */
  async request(body: RequestTransferBody, metadata: CommandMetadata): Promise<{ transferId: string; commandId: string }> {
    const transferId = body.transferId ?? uuidv4();
    const command: CommandEnvelope<TransferCustomersCommand> = {
      commandId: uuidv4(),
      type: 'TransferCustomers',
      issuedAt: metadata.now.toISOString(),
      actor: metadata.actor,
      correlationId: metadata.correlationId,
      data: { ...body, transferId },
    };
    await this.send(command);
    return { transferId, commandId: command.commandId };
  }

  async get(transferId: string): Promise<TransferView> {
    const rows: TransferRow[] = await this.dataSource.query(
      `SELECT * FROM ${quoteSchema(this.store.schema)}.customer_transfers WHERE transfer_id = $1`,
      [transferId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError(`transfer ${transferId} not found (or not started yet)`);
    return {
      transferId: row.transfer_id,
      fromUserId: row.from_user_id,
      toUserId: row.to_user_id,
      toPoolUserIds: row.to_pool_user_ids,
      reason: row.reason,
      status: row.status,
      done: row.done,
      total: row.total,
      requestedBy: row.requested_by,
      requestedAt: row.requested_at.toISOString(),
      completedAt: row.completed_at?.toISOString() ?? null,
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async produce(command: CommandEnvelope<TransferCustomersCommand>): Promise<void> {
    this.producer ??= await connectProducer(this.kafka, [this.topic]);
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: command.data.transferId, value: JSON.stringify(command) }],
    });
  }
}
