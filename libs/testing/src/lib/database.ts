import { eventStoreMigrations, quoteSchema } from '@warden/event-store';
import { inboxMigrations } from '@warden/messaging';
import { createDataSource, migrate } from '@warden/platform';
import type { DataSource, MigrationInterface } from 'typeorm';
import { testEnv, uniqueName } from './env';

/** A migrated schema of the suite's own in the test database. Drop it with `dropTestSchema`. */
export async function createTestSchema(
  prefix: string,
  migrations: ReadonlyArray<new () => MigrationInterface> = [],
  schemaName?: string,
): Promise<{ dataSource: DataSource; schema: string }> {
  const schema = schemaName ?? uniqueName(`t_${prefix.replace(/-/g, '_')}`);
  const dataSource = createDataSource({
    url: testEnv().databaseUrl,
    schema,
    applicationName: `test-${prefix}`,
    poolSize: 20,
    migrations: [...eventStoreMigrations(schema), ...inboxMigrations(schema), ...migrations],
  });
  await dataSource.initialize();
  await migrate(dataSource, schema);
  return { dataSource, schema };
}

export async function dropTestSchema(dataSource: DataSource | undefined, schema: string): Promise<void> {
  if (!dataSource?.isInitialized) return;
  await dataSource.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
  await dataSource.destroy();
}

/** A connection to an existing schema (no migrations), e.g. for a helper process. */
export async function connectTestSchema(schema: string, applicationName = 'test'): Promise<DataSource> {
  const dataSource = createDataSource({ url: testEnv().databaseUrl, schema, applicationName, migrations: [] });
  await dataSource.initialize();
  return dataSource;
}
