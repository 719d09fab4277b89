import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  Topics,
  eventRegistry,
  type AlertRaisedData,
  type AlertResolvedData,
  type EventEnvelope,
  type TeamCreatedData,
  type UserCreatedData,
  type UserStatusChangedData,
  type UserUpdatedData,
} from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { EventConsumer } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import type { ExportsConfig } from '../core/config';

/**
 * Keeps the directory the approval policy reads: users (status, team, manager) and teams (parent,
 * supervisor) from `warden.authorization.events.v1`, open alerts per user from `warden.alerts.v1`.
 * Event types this service does not need (or does not know yet) are ignored, not dead-lettered.
 */
@Injectable()
export class DirectoryConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DirectoryConsumer');
  private consumer: EventConsumer | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  onApplicationBootstrap(): void {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    this.consumer = new EventConsumer({
      kafka: this.kafka,
      groupId: `${prefix}exports.directory`,
      topics: [`${prefix}${Topics.events('authorization')}`, `${prefix}${Topics.alerts}`],
      dataSource: this.dataSource,
      schema: this.store.schema,
      registry: eventRegistry,
      decode: { allowUnknownTypes: true },
      handle: (event, { manager }) => applyDirectoryEvent(quoteSchema(this.store.schema), event, manager),
      logger: {
        info: (message, context) => this.logger.log({ ...context }, message),
        warn: (message, context) => this.logger.warn({ ...context }, message),
        error: (message, context) => this.logger.error({ ...context }, message),
      },
    });
    // Kafka may be down at boot: keep trying in the background, the HTTP API is up meanwhile.
    this.starting = this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let delay = 1000; this.consumer; delay = Math.min(delay * 2, 15_000)) {
      try {
        await this.consumer.start();
        return;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'directory consumer could not start; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.stop().catch(() => undefined);
    await this.starting;
  }
}

/** The directory's effect of one event (in the consumer's transaction). */
export async function applyDirectoryEvent(s: string, event: EventEnvelope, manager: EntityManager): Promise<void> {
  switch (event.type) {
    case 'UserCreated': {
      const d = event.data as UserCreatedData;
      await manager.query(
        `INSERT INTO ${s}.directory_users (user_id, status, team_id, manager_id, username, display_name) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, team_id = EXCLUDED.team_id,
           manager_id = EXCLUDED.manager_id, username = EXCLUDED.username, display_name = EXCLUDED.display_name, updated_at = now()`,
        [d.userId, d.status, d.teamId, d.managerId, d.username, d.displayName],
      );
      return;
    }
    case 'UserUpdated': {
      const d = event.data as UserUpdatedData;
      // The fields the event carries, in one statement (column names are fixed here, values bound).
      const changes = (
        [
          ['team_id', d.teamId],
          ['manager_id', d.managerId],
          ['username', d.username],
          ['display_name', d.displayName],
        ] as const
      ).filter(([, value]) => value !== undefined);
      if (changes.length === 0) return;
      await manager.query(
        `UPDATE ${s}.directory_users SET ${changes.map(([column], i) => `${column} = $${i + 2}`).join(', ')}, updated_at = now() WHERE user_id = $1`,
        [d.userId, ...changes.map(([, value]) => value)],
      );
      return;
    }
    case 'UserStatusChanged': {
      const d = event.data as UserStatusChangedData;
      await setStatus(s, manager, d.userId, d.to);
      return;
    }
    case 'UserDisabled':
      await setStatus(s, manager, String(event.data.userId), 'disabled');
      return;
    case 'UserMarkedDeparting':
      // Announced by the authorization service (offboarding scheduled). Only an active user becomes
      // departing: a disabled one stays disabled, as authorization keeps it.
      if (typeof event.data.userId === 'string') {
        await manager.query(
          `INSERT INTO ${s}.directory_users (user_id, status) VALUES ($1, 'departing')
           ON CONFLICT (user_id) DO UPDATE SET status = 'departing', updated_at = now() WHERE directory_users.status = 'active'`,
          [event.data.userId],
        );
      }
      return;
    case 'UserDepartureCancelled':
      // The offboarding was cancelled before it took effect: no longer departing.
      if (typeof event.data.userId === 'string') {
        await manager.query(
          `UPDATE ${s}.directory_users SET status = 'active', updated_at = now() WHERE user_id = $1 AND status = 'departing'`,
          [event.data.userId],
        );
      }
      return;
    case 'TeamCreated': {
      const d = event.data as TeamCreatedData;
      await manager.query(
        `INSERT INTO ${s}.directory_teams (team_id, parent_id, supervisor_id) VALUES ($1, $2, $3)
         ON CONFLICT (team_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, supervisor_id = EXCLUDED.supervisor_id`,
        [d.teamId, d.parentId, d.supervisorId],
      );
      return;
    }
    case 'AlertRaised': {
      const d = event.data as AlertRaisedData;
      if (d.userId === null) return;
      await manager.query(
        `INSERT INTO ${s}.open_alerts (alert_id, user_id, rule, raised_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [d.alertId, d.userId, d.rule, d.firstSeenAt],
      );
      return;
    }
    case 'AlertResolved': {
      const d = event.data as AlertResolvedData;
      await manager.query(`DELETE FROM ${s}.open_alerts WHERE alert_id = $1`, [d.alertId]);
      return;
    }
    default:
      return;
  }
}

async function setStatus(s: string, manager: EntityManager, userId: string, status: string): Promise<void> {
  await manager.query(
    `INSERT INTO ${s}.directory_users (user_id, status) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
    [userId, status],
  );
}
