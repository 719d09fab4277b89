import { DataSource, type MigrationInterface } from 'typeorm';
import { quoteSchema } from '@warden/event-store';

export type DatabaseOptions = {
  url: string;
  /** The service's own schema: no service reads another's tables. */
  schema: string;
  migrations: ReadonlyArray<new () => MigrationInterface>;
  applicationName: string;
  poolSize?: number;
  /** Postgres ends a transaction idle this long (ms); 0 or absent: never. */
  idleInTransactionTimeoutMs?: number;
};

export function createDataSource(options: DatabaseOptions): DataSource {
  quoteSchema(options.schema);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    synchronize: false,
    migrationsRun: false,
    migrations: [...options.migrations],
    migrationsTableName: 'migrations',
    applicationName: options.applicationName,
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      ...(options.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs } : {}),
    },
  });
}

/** Errors of a database that is not reachable yet (down, starting, overloaded), worth waiting out. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EAI_AGAIN|timeout|Connection terminated|starting up|shutting down|too many clients|57P03|53300/i;

export function isUnreachableDatabaseError(error: unknown): boolean {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  return UNREACHABLE.test(typeof message === 'string' ? message : '') || UNREACHABLE.test(typeof code === 'string' ? code : '');
}

export type ConnectOptions = {
  /** How long to keep trying while the database is unreachable (ms); other errors fail at once. */
  waitMs?: number;
  /** Called before each new attempt. */
  onRetry?: (reason: string, inMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Initialises `dataSource`, waiting with back-off (250 ms doubling to 5 s) while the database is
 * unreachable, up to `waitMs` (60 s): a service started together with Postgres, or on a loaded
 * host, comes up instead of exiting. A wrong password, a missing database or any other error
 * fails at once, and so does the last attempt.
 */
export async function connectDataSource(
  dataSource: { initialize(): Promise<unknown>; driver?: { disconnect(): Promise<void> } },
  { waitMs = 60_000, onRetry, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }: ConnectOptions = {},
): Promise<void> {
  const deadline = Date.now() + waitMs;
  let backoff = 250;
  for (;;) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      if (!isUnreachableDatabaseError(error) || Date.now() + backoff > deadline) throw error;
      // The pool the failed attempt created is closed before the next one opens its own.
      await dataSource.driver?.disconnect().catch(() => undefined);
      onRetry?.((error as Error).message, backoff);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}

/**
 * Creates the schema and runs pending migrations, holding an advisory lock so that several
 * instances starting together run them once.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const lock = `warden.migrations.${schema}`;
  try {
    await runner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lock]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`);
    const done = await dataSource.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]).catch(() => undefined);
    await runner.release();
  }
}
