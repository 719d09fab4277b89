import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CommandRegistry,
  systemActor,
  Topics,
  type CommandAnswerEvent,
  type CommandType,
  type EventEnvelope,
  type FreezeUserAccessCommand,
  type MarkUserDepartingCommand,
} from '@warden/contracts';
import { appendCommandAnswer, EventStore, type CommandMetadata } from '@warden/event-store';
import { consumerLogger, EventConsumer, startWithRetry } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import type { AuthorizationConfig } from '../core/config';
import { UserError, UserErrorCode } from '../users/user.exception';
import { userStreamId } from '../users/user.service';
import { UserLifecycleService } from './user-lifecycle.service';

/** The consumer group of the lifecycle commands (after the deployment's topic prefix). */
export const LIFECYCLE_COMMANDS_GROUP = 'authorization.lifecycle-commands';

/** The saga commands this consumer carries out. */
export const LIFECYCLE_COMMANDS = ['FreezeUserAccess', 'MarkUserDeparting'] as const satisfies readonly CommandType[];
type LifecycleCommand = (typeof LIFECYCLE_COMMANDS)[number];

const userIdSchema = z.uuid();

/**
 * Consumes offboarding's `FreezeUserAccess` and `MarkUserDeparting` from
 * `Topics.commands('authorization')` and answers each command once, on its answer stream
 * (`command-<commandId>`), in the inbox transaction: `CommandCompleted` with what it did, or
 * `CommandRejected` (not retryable) when the user service refuses it (unknown user, offboarded
 * user). A concurrent write on the user (`StreamVersionConflict`) or any other failure is thrown:
 * the consumer retries the command, then dead-letters it. Kafka down at boot: the consumer keeps
 * trying in the background while the app serves HTTP.
 */
@Injectable()
export class LifecycleCommandConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LifecycleCommandConsumer');
  private consumer: EventConsumer | null = null;
  private stopped = false;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly lifecycle: UserLifecycleService,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: AuthorizationConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.starting = this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.consumer?.stop().catch(() => undefined);
  }

  /** Carries out one decoded command and appends its answer through `manager` (the inbox transaction). */
  async handle(command: EventEnvelope, manager: EntityManager): Promise<void> {
    const type = command.type as LifecycleCommand;
    const commandId = command.eventId;
    const metadata: CommandMetadata = { actor: command.actor, correlationId: command.correlationId, causationId: commandId, now: new Date() };
    let answer: CommandAnswerEvent;
    try {
      answer = { type: 'CommandCompleted', data: { commandId, command: type, outcome: await this.carryOut(type, command, metadata) } };
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      this.logger.warn({ commandId, command: type, code: error.code }, 'lifecycle command rejected');
      answer = { type: 'CommandRejected', data: { commandId, command: type, code: error.code, message: error.message, retryable: false } };
    }
    await appendCommandAnswer(this.store, { commandId, correlationId: command.correlationId }, answer, {
      actor: systemActor('authorization'),
      now: metadata.now,
      manager,
    });
  }

  private async carryOut(type: LifecycleCommand, command: EventEnvelope, metadata: CommandMetadata): Promise<Record<string, string | number | boolean | null>> {
    switch (type) {
      case 'FreezeUserAccess': {
        const { userId, reason } = command.data as FreezeUserAccessCommand;
        assertUserId(userId);
        const result = await this.lifecycle.freeze(userId, reason, metadata);
        return { ...result, alreadyFrozen: result.alreadyFrozen && !(await this.frozenBy(userId, command.eventId)) };
      }
      case 'MarkUserDeparting': {
        const { userId, effectiveAt } = command.data as MarkUserDepartingCommand;
        assertUserId(userId);
        const { status, departingEffectiveAt } = await this.lifecycle.markDeparting(userId, effectiveAt, metadata);
        return { status, departingEffectiveAt };
      }
      default: {
        const unexpected: never = type;
        throw new Error(`unexpected command ${String(unexpected)}`);
      }
    }
  }

  /**
   * Whether this very command froze the user: its freeze committed but its answer did not (the
   * inbox transaction failed after it), so the retry finds the user frozen. It answers as the
   * first time, `alreadyFrozen: false`.
   */
  private async frozenBy(userId: string, commandId: string): Promise<boolean> {
    const frozen = (await this.store.readStream(userStreamId(userId))).findLast((event) => event.type === 'UserFrozen');
    return frozen?.causationId === commandId;
  }

  private async start(): Promise<void> {
    this.consumer = await startWithRetry(
      () =>
        new EventConsumer({
          kafka: this.kafka,
          groupId: `${this.config.KAFKA_TOPIC_PREFIX}${LIFECYCLE_COMMANDS_GROUP}`,
          topics: [`${this.config.KAFKA_TOPIC_PREFIX}${Topics.commands('authorization')}`],
          dataSource: this.dataSource,
          schema: this.config.AUTHORIZATION_DB_SCHEMA,
          registry: new CommandRegistry(LIFECYCLE_COMMANDS, 'authorization'),
          handle: (event, { manager }) => this.handle(event, manager),
          logger: consumerLogger(this.logger),
        }),
      {
        stopped: () => this.stopped,
        onRetry: (error, retryInMs) => this.logger.warn({ err: error.message, retryInMs }, 'lifecycle command consumer could not start; retrying'),
      },
    );
  }
}

/** A user id is a UUID: anything else names no user (refused, not retried). */
function assertUserId(userId: string): void {
  if (!userIdSchema.safeParse(userId).success) throw new UserError(UserErrorCode.NotFound, `user ${userId} not found`);
}
