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
