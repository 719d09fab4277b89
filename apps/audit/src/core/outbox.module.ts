import { Global, Inject, Injectable, Logger, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AUDIT_CHECKPOINTS_TOPIC, eventRegistry, Topics } from '@warden/contracts';
import { EventRelay, EventStore, eventStoreMigrations } from '@warden/event-store';
import { createIdempotentProducer, ensureTopics } from '@warden/messaging';
import { CONFIG, createDataSource, KAFKA, KAFKA_ADMIN, migrate } from '@warden/platform';
import type { Admin, Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { outboxSchemaOf, type AuditConfig } from './config';
import { OUTBOX_RELAY, OUTBOX_STORE } from './tokens';

/**
 * The audit's outgoing log, an event store of its own in a second schema: signed checkpoints are
 * relayed to `warden.audit.checkpoints.v1` and `audit-chain-broken` alerts to `warden.alerts.v1`
 * (the relay routes by type), each appended in the transaction that decided it. The audit's own
 * actions (exports of the trail, reports) stay in the main log, relayed to `warden.audit.events.v1`.
 */
@Injectable()
class OutboxRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(OUTBOX_RELAY) private readonly relay: EventRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: OUTBOX_STORE,
      inject: [CONFIG, DataSource],
      useFactory: async (config: AuditConfig, dataSource: DataSource) => {
        const schema = outboxSchemaOf(config);
        if (config.MIGRATE_ON_BOOT) {
          const migrations = createDataSource({
            url: config.DATABASE_URL,
            schema,
            applicationName: 'audit-migrations',
            migrations: eventStoreMigrations(schema),
            poolSize: 2,
          });
          await migrations.initialize();
          try {
            await migrate(migrations, schema);
          } finally {
            await migrations.destroy();
          }
        }
        return new EventStore({ dataSource, schema, registry: eventRegistry });
      },
    },
    {
      provide: OUTBOX_RELAY,
      inject: [CONFIG, DataSource, OUTBOX_STORE, KAFKA, KAFKA_ADMIN],
      useFactory: (config: AuditConfig, dataSource: DataSource, store: EventStore, kafka: Kafka, admin: Admin) => {
        const logger = new Logger('OutboxRelay');
        const checkpoints = `${config.KAFKA_TOPIC_PREFIX}${AUDIT_CHECKPOINTS_TOPIC}`;
        const alerts = `${config.KAFKA_TOPIC_PREFIX}${Topics.alerts}`;
        return new EventRelay({
          dataSource,
          store,
          producer: createIdempotentProducer(kafka),
          topic: checkpoints,
          topicFor: (row) => (row.type === 'AlertRaised' ? alerts : null),
          name: 'outbox',
          prepare: async () => {
            await admin.connect();
            await ensureTopics(admin, [checkpoints, alerts]);
          },
          logger: {
            info: (message, context) => logger.log({ ...context }, message),
            warn: (message, context) => logger.warn({ ...context }, message),
            error: (message, context) => logger.error({ ...context }, message),
          },
        });
      },
    },
    OutboxRuntime,
  ],
  exports: [OUTBOX_STORE, OUTBOX_RELAY],
})
export class OutboxModule {}
