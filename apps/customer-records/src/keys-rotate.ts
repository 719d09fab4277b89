/**
 * `npm run keys:rotate`: re-wraps every customer's data key under the newest KEK of WARDEN_KEKS.
 * Exits 1 when keys remain on an older version (listed), so the old KEK must stay.
 */
import { ConfigError } from '@warden/platform';
import { loadCustomerRecordsConfig } from './core/config';
import { rotateDataKeys } from './crypto/rotate-keys';

async function main(): Promise<void> {
  const config = loadCustomerRecordsConfig();
  const result = await rotateDataKeys(config, (line) => process.stdout.write(`${line}\n`));
  process.exitCode = result.remaining > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`keys:rotate: ${error.message}\n`);
  } else {
    process.stderr.write(`keys:rotate failed: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
