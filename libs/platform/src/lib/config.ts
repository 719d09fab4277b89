import { z } from 'zod';

/** What every service reads from its environment. A service extends it with its own variables. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// URL' }).default(
    'postgres://postgres@127.0.0.1:5432/warden',
  ),
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'must be a redis:// URL' }).default('redis://127.0.0.1:6379'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d+$/, 'each broker must be host:port')).min(1)),
  /** Prefix for every topic name; lets isolated test runs share one broker. */
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 1mb')
    .default('1mb'),
  /** Where the authorization service publishes its signing keys; every service verifies tokens with them. */
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3001/.well-known/jwks.json'),
  AUTH_ISSUER: z.string().min(1).default('warden-authorization'),
  AUTH_AUDIENCE: z.string().min(1).default('warden'),
  /** Run pending migrations when the service boots (under a lock, so several instances are safe). */
  MIGRATE_ON_BOOT: z.stringbool().default(true),
  /**
   * Postgres ends a transaction left idle this long (ms; 0 = never), releasing its locks: a frozen
   * or partitioned instance cannot hold another instance's work back for good.
   */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(0),
  /**
   * Days a consumed event's inbox record is kept (it only has to outlive redeliveries, which come
   * within minutes: consumers resume from positions recorded in Postgres, never further back).
   */
  INBOX_RETENTION_DAYS: z.coerce.number().min(1).default(14),
  /** How often old inbox records are deleted (ms). */
  INBOX_SWEEP_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /**
   * The request guard reads revocation markers and policy versions from a copy in memory that
   * Redis keeps true (client tracking: every change is announced to the service at once). The
   * copy is used only while Redis answered a ping on the announcement connection sent at most this
   * long ago (ms); otherwise, and with 0, every request reads Redis.
   */
  REVOCATION_TRACKING_STALENESS_MS: z.coerce.number().int().min(0).max(1000).default(500),
  /**
   * How long the relay may hold read events (the access streams' `CustomerViewed`,
   * `CustomersListed`, …, one per request) for company before sending them to Kafka (ms; 0 sends
   * them as soon as they are read), like a producer's `linger.ms`: Kafka then gets one request
   * for tens of reads instead of a few. Other events are never held; one of them takes the held
   * read events with it, in log order.
   */
  RELAY_READ_EVENTS_LINGER_MS: z.coerce.number().int().min(0).max(5000).default(100),
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** A bad or missing variable: the message names each one and why. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates `env` against `schema`; throws ConfigError naming every bad variable. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  return result.data;
}

/** The port variable of a service, e.g. `CUSTOMER_RECORDS_PORT`, with its default. */
export const portSchema = (defaultPort: number) => z.coerce.number().int().min(1).max(65535).default(defaultPort);
