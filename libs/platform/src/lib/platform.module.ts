import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  type OnApplicationBootstrap,
  Logger,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { type EventRegistry, isAccessStream, Topics, type ServiceName } from '@warden/contracts';
import { EventRelay, EventStore, eventStoreMigrations, type InlineProjection, type RelayRow } from '@warden/event-store';
import { createIdempotentProducer, createKafka, ensureTopics, inboxMigrations } from '@warden/messaging';
import { AuthGuard, JwtVerifier, RevocationStore, TrackedKeys } from '@warden/security';
import Redis from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { LoggerModule } from 'nestjs-pino';
import { DataSource, type MigrationInterface } from 'typeorm';
import type { BaseConfig } from './config';
import { connectDataSource, createDataSource, migrate } from './database';
import { HealthController } from './health.controller';
import { HttpErrorFilter } from './http-exception.filter';
import { httpLoggerParams } from './logging';
import { HttpMetricsMiddleware, Metrics, MetricsController } from './metrics';
import { AccessDenialService } from './access-denial.service';
import { ConsumerLagMetric } from './consumer-lag.metric';
import { InboxRetention } from './inbox-retention.service';
import { CONFIG, KAFKA, KAFKA_ADMIN, REDIS, SERVICE_NAME } from './tokens';

export type ServicePlatformOptions = {
  service: ServiceName;
  /** Postgres schema of the service (e.g. `customer_records`). */
  schema: string;
  config: BaseConfig;
  registry: EventRegistry;
  /** The service's own migrations, after the event store's and the inbox's. */
  migrations?: ReadonlyArray<new () => MigrationInterface>;
  projections?: readonly InlineProjection[];
  /**
   * Publishes some streams elsewhere than the service's events topic: `topicFor` names the topic
   * (without `KAFKA_TOPIC_PREFIX`) of an event from its row, or `null` for the events topic;
   * `topics` lists every topic it may name, created with the events topic. Whatever it says,
   * access streams (`access-…`: read events, `AccessDenied`) for which it names no topic go
   * to `Topics.access` (created too).
   */
  relayRouting?: { topics: readonly string[]; topicFor(row: RelayRow): string | null };
};

/** Starts the relay after boot and stops it, then the connections, in order on shutdown. */
@Injectable()
class ServiceRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ServiceRuntime');

  constructor(
    private readonly relay: EventRelay,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    private readonly tracked: TrackedKeys,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
    this.tracked.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    this.tracked.stop();
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.logger.log('connections closed');
  }
}

@Module({})
export class PlatformModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }

  /** Config, logging, Postgres (migrated), Redis, Kafka, the event store and its relay, health and metrics. */
  static forService(options: ServicePlatformOptions): DynamicModule {
    const { config, service, schema } = options;
    return {
      module: PlatformModule,
      global: true,
      imports: [LoggerModule.forRoot(httpLoggerParams(service, config.LOG_LEVEL)), TerminusModule],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: SERVICE_NAME, useValue: service },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        {
          provide: AccessDenialService,
          inject: [EventStore, DataSource, JwtVerifier, Metrics],
          useFactory: (store: EventStore, dataSource: DataSource, verifier: JwtVerifier, metrics: Metrics) =>
            new AccessDenialService({ service, store, dataSource, registry: options.registry, verifier, metrics }),
        },
        {
          provide: JwtVerifier,
          useFactory: () =>
            new JwtVerifier({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE }),
        },
        {
          provide: TrackedKeys,
          inject: [REDIS],
          useFactory: (redis: Redis) => {
            const logger = new Logger('RevocationTracking');
            return new TrackedKeys({
              redis,
              prefixes: RevocationStore.trackedPrefixes,
              maxStalenessMs: config.REVOCATION_TRACKING_STALENESS_MS,
              logger: {
                info: (message, context) => logger.log({ ...context }, message),
                warn: (message, context) => logger.warn({ ...context }, message),
              },
            });
          },
        },
        {
          provide: RevocationStore,
          inject: [REDIS, TrackedKeys],
          useFactory: (redis: Redis, tracked: TrackedKeys) => new RevocationStore(redis, undefined, tracked),
        },
        {
          provide: APP_GUARD,
          inject: [Reflector, JwtVerifier, RevocationStore],
          useFactory: (reflector: Reflector, verifier: JwtVerifier, revocations: RevocationStore) =>
            new AuthGuard(reflector, verifier, revocations),
        },
        Metrics,
        HttpMetricsMiddleware,
        InboxRetention,
        ConsumerLagMetric,
        {
          provide: DataSource,
          useFactory: async () => {
            const dataSource = createDataSource({
              url: config.DATABASE_URL,
              schema,
              applicationName: service,
              idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
              migrations: [...eventStoreMigrations(schema), ...inboxMigrations(schema), ...(options.migrations ?? [])],
            });
            const logger = new Logger('Database');
            await connectDataSource(dataSource, {
              onRetry: (reason, inMs) => logger.warn({ reason, retryInMs: inMs }, 'database unreachable; retrying'),
            });
            if (config.MIGRATE_ON_BOOT) await migrate(dataSource, schema);
            return dataSource;
          },
        },
        {
          provide: REDIS,
          useFactory: () =>
            new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: false }),
        },
        {
          provide: KAFKA,
          useFactory: () => {
            const logger = new Logger('Kafka');
            return createKafka({
              brokers: config.KAFKA_BROKERS,
              clientId: service,
              logger: {
                warn: (message, context) => logger.warn({ ...context }, message),
                error: (message, context) => logger.error({ ...context }, message),
              },
            });
          },
        },
        {
          provide: KAFKA_ADMIN,
          inject: [KAFKA],
          // Not connected here: a service boots and takes writes while Kafka is down.
          useFactory: (kafka: Kafka) => kafka.admin(),
        },
        {
          provide: EventStore,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) =>
            new EventStore({ dataSource, schema, registry: options.registry, projections: options.projections }),
        },
        {
          provide: EventRelay,
          inject: [DataSource, EventStore, KAFKA, Metrics, KAFKA_ADMIN],
          useFactory: (dataSource: DataSource, store: EventStore, kafka: Kafka, metrics: Metrics, admin: Admin) => {
            const logger = new Logger('EventRelay');
            const topic = `${config.KAFKA_TOPIC_PREFIX}${Topics.events(service)}`;
            const routing = options.relayRouting;
            const routedTopic = (row: RelayRow): string | null => {
              const name = routing?.topicFor(row) ?? (isAccessStream(row.streamId) ? Topics.access : null);
              return name === null ? null : `${config.KAFKA_TOPIC_PREFIX}${name}`;
            };
            const routedTopics = [...new Set([Topics.access, ...(routing?.topics ?? [])])];
            return new EventRelay({
              dataSource,
              store,
              producer: createIdempotentProducer(kafka),
              topic,
              topicFor: routedTopic,
              lingerFor: (row) => (isAccessStream(row.streamId) ? config.RELAY_READ_EVENTS_LINGER_MS : 0),
              prepare: async () => {
                await admin.connect();
                await ensureTopics(admin, [
                  topic,
                  ...routedTopics.map((name) => `${config.KAFKA_TOPIC_PREFIX}${name}`),
                ]);
              },
              logger: {
                info: (message, context) => logger.log({ ...context }, message),
                warn: (message, context) => logger.warn({ ...context }, message),
                error: (message, context) => logger.error({ ...context }, message),
              },
              onPublished: (events) => {
                metrics.relayPublished.inc(events.length);
                const now = Date.now();
                for (const event of events) metrics.relayLag.observe((now - event.occurredAtMs) / 1000);
              },
            });
          },
        },
        ServiceRuntime,
      ],
      exports: [AccessDenialService, CONFIG, SERVICE_NAME, Metrics, DataSource, REDIS, KAFKA, KAFKA_ADMIN, EventStore, EventRelay, JwtVerifier, RevocationStore],
    };
  }
}
