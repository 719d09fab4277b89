/**
 * `npm run customers:rebuild`: rebuilds customer-records' read tables (customers, notes,
 * transactions, consents, transfers) from its event store, while the service keeps serving (see
 * `ReadModelRebuilder`). Progress on stderr; exits 1 with the reason when it cannot finish, the
 * read model then being unchanged.
 */
import { eventRegistry } from '@warden/contracts';
import { FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { ConfigError, createDataSource } from '@warden/platform';
import { loadCustomerRecordsConfig } from '../core/config';
import { PostgresDataKeyStore } from '../crypto/postgres-data-key-store';
import { ReadModelRebuilder, ReadModelRebuildError, type RebuildProgress } from './read-model-rebuild.service';
import { readModelProjections } from './read-model.projections';

const write = (line: string) => process.stderr.write(`customers:rebuild: ${line}\n`);

function progressLine({ phase, done, total, eventsPerSecond }: RebuildProgress): string {
  const percent = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : '';
  return `${phase === 'swap' ? 'swapped in: ' : ''}${done}/${total} events${percent}, ${Math.round(eventsPerSecond)} events/s`;
}

async function main(): Promise<void> {
  const config = loadCustomerRecordsConfig();
  const schema = config.CUSTOMER_RECORDS_DB_SCHEMA;
  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    schema,
    applicationName: 'customer-records-rebuild',
    migrations: [],
    poolSize: 8,
  });
  await dataSource.initialize();
  try {
    // Keys are not cached: each batch loads its customers' keys and lets them go.
    const cipher = new FieldCipher(StaticKeyProvider.fromKeyring(config.WARDEN_KEKS), new PostgresDataKeyStore(dataSource, schema), {
      cache: { maxEntries: 0 },
    });
    let lastLine = 0;
    const rebuilder = new ReadModelRebuilder({
      dataSource,
      schema,
      registry: eventRegistry,
      cipher,
      projections: readModelProjections,
      onProgress: (progress) => {
        const now = Date.now();
        if (progress.phase === 'build' && now - lastLine < 1000) return;
        lastLine = now;
        write(progressLine(progress));
      },
    });
    write(`rebuilding ${rebuilder.tables.join(', ')} of schema ${schema} from its event store`);
    const result = await rebuilder.run();
    write(
      `done: ${result.events} events in ${result.seconds.toFixed(1)} s (${Math.round(result.eventsPerSecond)} events/s), ` +
        `writes held ${result.lockedSeconds.toFixed(1)} s by the swap; ` +
        Object.entries(result.rows).map(([table, n]) => `${table} ${n} rows`).join(', '),
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ReadModelRebuildError) {
    write(error.message);
  } else {
    write(`failed: ${(error as Error).stack ?? String(error)}`);
  }
  process.exit(1);
});
