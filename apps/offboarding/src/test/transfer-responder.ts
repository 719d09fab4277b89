import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, hashEvent, systemActor, Topics, type CommandEnvelope } from '@warden/contracts';
import { testProducer } from '@warden/testing';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

/**
 * STUB of customer-records' transfer for the failure paths of offboarding.e2e-spec.ts (an answer
 * held back on cue while the offboarding process is killed; the real hand-over runs in
 * offboarding-real-services.e2e-spec.ts): consumes the commands topic, and for each command id seen the first time answers on
 * the customer-records events topic with `CustomersTransferProgressed` per batch and a final
 * `CustomersTransferred`, correlated with the case. Re-sent commands are counted, not re-done.
 */
export class TransferResponder {
  readonly commands: CommandEnvelope[] = [];
  readonly done = new Set<string>();
  paused = false;
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private position = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    private readonly customersOf: (userId: string) => number,
    private readonly batch = 500,
  ) {}

  async start(): Promise<void> {
    this.producer = testProducer(this.kafka);
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: `${this.prefix}responder-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: `${this.prefix}${Topics.commands('customer-records')}`, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const command = JSON.parse(message.value?.toString('utf8') ?? '{}') as CommandEnvelope<{ transferId: string; fromUserId: string }>;
        this.commands.push(command);
        while (this.paused) await new Promise((r) => setTimeout(r, 100));
        if (this.done.has(command.commandId)) return;
        this.done.add(command.commandId);
        await this.answer(command);
      },
    });
  }

  private async answer(command: CommandEnvelope<{ transferId: string; fromUserId: string }>): Promise<void> {
    const total = this.customersOf(command.data.fromUserId);
    const { transferId } = command.data;
    let prevHash = GENESIS_HASH;
    let version = 0;
    const envelope = (type: string, data: Record<string, unknown>) => {
      version += 1;
      this.position += 1;
      const body = {
        eventId: uuidv7(),
        type,
        schemaVersion: 1,
        streamId: `transfer-${transferId}`,
        streamVersion: version,
        occurredAt: new Date().toISOString(),
        actor: systemActor('customer-records'),
        correlationId: command.correlationId,
        causationId: command.commandId,
        data,
      };
      const hash = hashEvent(prevHash, body);
      const value = JSON.stringify({ ...body, globalPosition: this.position, prevHash, hash });
      prevHash = hash;
      return { key: body.streamId, value };
    };
    const messages = [];
    for (let done = Math.min(this.batch, total); done < total; done = Math.min(done + this.batch, total)) {
      messages.push(envelope('CustomersTransferProgressed', { transferId, done, total }));
    }
    messages.push(envelope('CustomersTransferProgressed', { transferId, done: total, total }));
    messages.push(
      envelope('CustomersTransferred', {
        transferId,
        fromUserId: command.data.fromUserId,
        toUserId: (command.data as { toUserId?: string | null }).toUserId ?? null,
        toPoolUserIds: (command.data as { toPoolUserIds?: string[] | null }).toPoolUserIds ?? null,
        count: total,
      }),
    );
    await this.producer?.send({ topic: `${this.prefix}${Topics.events('customer-records')}`, acks: -1, messages });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
