import { rewrapAll, StaticKeyProvider, type RotationResult } from '@warden/crypto';
import { createDataSource } from '@warden/platform';
import type { CustomerRecordsConfig } from '../core/config';
import { PostgresDataKeyStore } from './postgres-data-key-store';

/**
 * Re-wraps every customer's data key under the newest KEK of `WARDEN_KEKS`, writing one progress
 * line per batch. Field ciphertexts do not change; safe to run while the service serves traffic
 * once every instance has the new keyring, and to re-run.
 */
export async function rotateDataKeys(
  config: CustomerRecordsConfig,
  write: (line: string) => void,
  batchSize = 500,
): Promise<RotationResult> {
  const provider = StaticKeyProvider.fromKeyring(config.WARDEN_KEKS);
  const schema = config.CUSTOMER_RECORDS_DB_SCHEMA;
  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    schema,
    applicationName: 'customer-records-keys-rotate',
    migrations: [],
    poolSize: 2,
  });
  await dataSource.initialize();
  try {
    write(
      `re-wrapping data keys in ${schema}.customer_data_keys under KEK version ${provider.currentVersion()}`,
    );
    const result = await rewrapAll(provider, new PostgresDataKeyStore(dataSource, schema), {
      batchSize,
      onProgress: (p) =>
        write(
          `  ${p.done}${p.total === undefined ? '' : `/${p.total}`} examined: ${p.rewrapped} re-wrapped, ` +
            `${p.skipped} skipped, ${p.failed} failed`,
        ),
    });
    write(
      `done: ${result.rewrapped} re-wrapped, ${result.skipped} skipped, ${result.failed} failed; ` +
        `remaining on an older version: ${result.remaining}`,
    );
    if (result.failedSubjectIds.length > 0) write(`could not unwrap: ${result.failedSubjectIds.join(', ')}`);
    return result;
  } finally {
    await dataSource.destroy();
  }
}
