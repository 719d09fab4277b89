import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { cancelUserExportsCommand, commandEnvelopeSchema, describeIssues, systemActor, Topics } from '@warden/contracts';
import { appendCommandAnswer, EventStore, quoteSchema } from '@warden/event-store';
import { connectProducer } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Consumer, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import { ExportFiles } from '../export/export-files';
import { ExportService } from '../export/export.service';

/** A command message that cannot be used, with why (never the message's content). */
export class CommandRejected extends Error {}

/** Parses a command message value into `CancelUserExports` (the only command this service takes). */
export function parseExportCommand(value: Buffer | null): {
  commandId: string;
  correlationId: string;
  actor: import('@warden/contracts').Actor;
  data: { userId: string; reason: string };
} {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    throw new CommandRejected('(root): not valid JSON');
  }
  const envelope = commandEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new CommandRejected(describeIssues(envelope.error).join('; '));
  if (envelope.data.type !== 'CancelUserExports') throw new CommandRejected(`type: ${envelope.data.type} is not a command of the exports service`);
  const data = cancelUserExportsCommand.safeParse(envelope.data.data);
  if (!data.success) throw new CommandRejected(describeIssues(data.error).map((issue) => `data.${issue}`).join('; '));
  return { commandId: envelope.data.commandId, correlationId: envelope.data.correlationId, actor: envelope.data.actor, data: data.data };
}

/**
 * Consumes `warden.exports.commands.v1`: `CancelUserExports` (from offboarding) cancels every
 * pending, approved, running or completed export of the user (their links are voided by the read
 * model, their files deleted). Idempotent by `commandId` (recorded in `processed_messages` in the
 * same transaction as the cancellations); a malformed command goes to the dead-letter topic; the
 * offset is committed after the effect. The `ExportCancelled` events carry the command id as
 * causation and its correlation id; the command is answered by `CommandCompleted` with outcome
 * `{cancelled}` (how many exports it cancelled) in the same transaction.
 */
@Injectable()
export class ExportCommandConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExportCommands');
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly exportsService: ExportService,
    private readonly files: ExportFiles,
  ) {}

  get topic(): string {
    return `${this.config.KAFKA_TOPIC_PREFIX}${Topics.commands('exports')}`;
  }

  onApplicationBootstrap(): void {
    this.starting = this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let delay = 1000; !this.stopped; delay = Math.min(delay * 2, 15_000)) {
      try {
        await this.start();
        return;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'command consumer could not start; retrying');
        await this.consumer?.disconnect().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async start(): Promise<void> {
    this.producer = await connectProducer(this.kafka, [this.topic, Topics.deadLetter(this.topic)]);
    this.consumer = this.kafka.consumer({ groupId: `${this.config.KAFKA_TOPIC_PREFIX}exports.commands`, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachMessage: (payload) => this.onMessage(payload) });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async onMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    let command: ReturnType<typeof parseExportCommand> | null = null;
    try {
      command = parseExportCommand(message.value);
    } catch (error) {
      await this.deadLetter(topic, partition, message, 'CONTRACT_VIOLATION', (error as Error).message);
    }
    if (command) await this.apply(command, topic, partition, message);
    await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private async apply(
    command: ReturnType<typeof parseExportCommand>,
    topic: string,
    partition: number,
    message: EachMessagePayload['message'],
  ): Promise<void> {
    const s = quoteSchema(this.store.schema);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const cancelled = await this.dataSource.transaction(async (manager) => {
          const fresh: unknown[] = await manager.query(
            `INSERT INTO ${s}.processed_messages (consumer, event_id, topic) VALUES ('exports.commands', $1, $2)
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [command.commandId, topic],
          );
          if (fresh.length === 0) return [];
          const now = new Date();
          const ids = await this.exportsService.cancelAllOf(
            command.data.userId,
            command.data.reason,
            { actor: command.actor, correlationId: command.correlationId, causationId: command.commandId, now },
            manager,
          );
          await appendCommandAnswer(
            this.store,
            command,
            { type: 'CommandCompleted', data: { commandId: command.commandId, command: 'CancelUserExports', outcome: { cancelled: ids.length } } },
            { actor: systemActor('exports'), now, manager },
          );
          return ids;
        });
        for (const exportId of cancelled) await this.files.deleteAll(exportId);
        if (cancelled.length) this.logger.log({ userId: command.data.userId, cancelled: cancelled.length }, 'cancelled user exports');
        return;
      } catch (error) {
        if (attempt >= 5 || this.stopped) {
          await this.deadLetter(topic, partition, message, 'HANDLER_FAILED', (error as Error).message);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private async deadLetter(topic: string, partition: number, message: EachMessagePayload['message'], code: string, reason: string): Promise<void> {
    await this.producer?.send({
      topic: Topics.deadLetter(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-error-code': code,
            'dlq-error': reason.slice(0, 2000),
            'dlq-original-topic': topic,
            'dlq-original-partition': String(partition),
            'dlq-original-offset': message.offset,
            'dlq-consumer-group': 'exports.commands',
          },
        },
      ],
    });
    this.logger.error({ topic, partition, offset: message.offset, code, reason }, 'command dead-lettered');
  }
}
