import { commandEnvelopeSchema, commandSchemas, commandTargets, systemActor, Topics, type CommandType } from '@warden/contracts';
import { connectProducer } from '@warden/messaging';
import type { Kafka, Producer } from 'kafkajs';
import { v5 as uuidv5 } from 'uuid';

/** The namespace of the ids this service derives (commands, transfers, reports, SCIM cases). */
const OFFBOARDING_NAMESPACE = '3f1c9a52-6d0e-4b8e-9a43-0f6f5d1e7c21';

/** Pure: an id derived from a case and a purpose, the same on every attempt (so re-sends are idempotent). */
export const derivedId = (caseId: string, purpose: string): string => uuidv5(`${caseId}:${purpose}`, OFFBOARDING_NAMESPACE);

/**
 * Sends saga commands to other services (`Topics.commands(<service>)`) with the idempotent producer,
 * acks from all replicas, keyed by the target aggregate. Each command is validated against its
 * contract before it leaves.
 */
export class CommandPublisher {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topicPrefix: string,
  ) {}

  topicOf(type: CommandType): string {
    return `${this.topicPrefix}${Topics.commands(commandTargets[type])}`;
  }

  async send<T extends CommandType>(
    type: T,
    {
      commandId,
      key,
      correlationId,
      issuedAt,
      data,
    }: { commandId: string; key: string; correlationId: string; issuedAt: Date; data: Record<string, unknown> },
  ): Promise<void> {
    const payload = commandSchemas[type].parse(data);
    const envelope = commandEnvelopeSchema.parse({
      commandId,
      type,
      issuedAt: issuedAt.toISOString(),
      actor: systemActor('offboarding'),
      correlationId,
      data: payload,
    });
    const producer = await this.connected();
    await producer.send({ topic: this.topicOf(type), acks: -1, messages: [{ key, value: JSON.stringify(envelope) }] });
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = await connectProducer(this.kafka, [...new Set((Object.keys(commandTargets) as CommandType[]).map((type) => this.topicOf(type)))]);
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}
