import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandRegistry, systemActor, Topics, type CompileUserActivityCommand, type EventEnvelope } from '@warden/contracts';
import { appendCommandAnswer, EventStore } from '@warden/event-store';
import { consumerLogger, EventConsumer, startWithRetry, type ConsumerOutcome } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditConfig } from '../core/config';
import { userActivityCompiledData, type ActivityAnswerCaps } from './activity-answer.util';
import { ActivityService } from './activity.service';

/** The consumer group of the audit's commands (after the deployment's topic prefix). */
export const ACTIVITY_COMMANDS_GROUP = 'audit.activity-commands';

export type ActivityCommandDeps = {
  /** The audit's main event store (relayed to `warden.audit.events.v1`): the answers go there. */
  store: EventStore;
  activity: ActivityService;
  now?: () => Date;
  caps?: ActivityAnswerCaps;
  maxBytes?: number;
};

/**
 * Answers one `CompileUserActivity` (decoded by `CommandRegistry`, `eventId` = command id): the
 * user's activity over the last `days` days, read from the trail in the inbox transaction, appended
 * as `UserActivityCompiled` on `command-<commandId>` in that transaction. A user the trail does not
 * know gets an empty activity. Whether it appended (`false`: the command was answered already).
 * Any error is thrown: the consumer retries the command, then dead-letters it.
 */
export async function answerCompileUserActivity(deps: ActivityCommandDeps, command: EventEnvelope, manager: EntityManager): Promise<boolean> {
  const { userId, days } = command.data as CompileUserActivityCommand;
  const now = deps.now?.() ?? new Date();
  const activity = await deps.activity.userActivity(userId, days, now, manager);
  const data = userActivityCompiledData(command.eventId, days, activity, { caps: deps.caps, maxBytes: deps.maxBytes });
  return appendCommandAnswer(
    deps.store,
    { commandId: command.eventId, correlationId: command.correlationId },
    { type: 'UserActivityCompiled', data },
    { actor: systemActor('audit'), now, manager },
  );
}

export type ActivityCommandConsumerOptions = ActivityCommandDeps & {
  kafka: Kafka;
  dataSource: DataSource;
  /** The audit's main schema: its inbox (`processed_messages`) sits next to the event store the answers go to. */
  schema: string;
  /** `KAFKA_TOPIC_PREFIX`. */
  topicPrefix: string;
  maxAttempts?: number;
  initialBackoffMs?: number;
  logger?: ConstructorParameters<typeof EventConsumer>[0]['logger'];
  onOutcome?: (topic: string, outcome: ConsumerOutcome) => void;
};

/**
 * The consumer of `Topics.commands('audit')`: only `CompileUserActivity` is accepted; anything else
 * (not JSON, another command, a bad payload) is dead-lettered on `<topic>.dlq` naming the field.
 */
export function createActivityCommandConsumer(options: ActivityCommandConsumerOptions): EventConsumer {
  const { topicPrefix: prefix } = options;
  return new EventConsumer({
    kafka: options.kafka,
    groupId: `${prefix}${ACTIVITY_COMMANDS_GROUP}`,
    topics: [`${prefix}${Topics.commands('audit')}`],
    dataSource: options.dataSource,
    schema: options.schema,
    registry: new CommandRegistry(['CompileUserActivity'], 'audit'),
    maxAttempts: options.maxAttempts,
    initialBackoffMs: options.initialBackoffMs,
    handle: async (event, { manager }) => {
      await answerCompileUserActivity(options, event, manager);
    },
    logger: options.logger,
    onOutcome: options.onOutcome,
  });
}

/**
 * Runs the command consumer in the app (unless `AUDIT_CONSUME` is off). Kafka down at boot: it
 * keeps trying in the background.
 */
@Injectable()
export class ActivityCommandConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ActivityCommandConsumer');
  private consumer: EventConsumer | null = null;
  private stopped = false;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly activity: ActivityService,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: AuditConfig,
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
    this.consumer = await startWithRetry(
      () =>
        createActivityCommandConsumer({
          kafka: this.kafka,
          dataSource: this.dataSource,
          schema: this.config.AUDIT_DB_SCHEMA,
          topicPrefix: this.config.KAFKA_TOPIC_PREFIX,
          store: this.store,
          activity: this.activity,
          logger: consumerLogger(this.logger),
        }),
      {
        stopped: () => this.stopped,
        onRetry: (error, retryInMs) => this.logger.warn({ err: error.message, retryInMs }, 'activity command consumer could not start; retrying'),
      },
    );
  }
}
