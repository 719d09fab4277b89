import { randomUUID } from 'node:crypto';
import { Topics, type CommandEnvelope } from '@warden/contracts';
import { testProducer } from '@warden/testing';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { streamEnvelopes } from './step-responder';

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
  /** Holds the second half of the batches until released. */
  holdMidway: Promise<void> | null = null;
  /** Commands whose answers stopped halfway. */
  readonly midway = new Set<string>();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;

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
    const envelope = streamEnvelopes('customer-records', `transfer-${transferId}`, command);
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
    const topic = `${this.prefix}${Topics.events('customer-records')}`;
    if (this.holdMidway) {
      // Half the batches land, then the rest waits (to kill the offboarding service in the middle).
      const half = Math.ceil((messages.length - 1) / 2);
      await this.producer?.send({ topic, acks: -1, messages: messages.slice(0, half) });
      this.midway.add(command.commandId);
      await this.holdMidway;
      await this.producer?.send({ topic, acks: -1, messages: messages.slice(half) });
      return;
    }
    await this.producer?.send({ topic, acks: -1, messages });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
