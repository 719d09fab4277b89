import { ConfigError, runService } from '@warden/platform';
import { AppModule } from './app.module';
import { loadCustomerRecordsConfig } from './core/config';

async function main(): Promise<void> {
  const config = loadCustomerRecordsConfig();
  await runService(AppModule.forConfig(config), {
    title: 'Warden customer-records',
    description: 'Customers with encrypted sensitive fields, masking and isolated data views.',
    config,
    port: config.CUSTOMER_RECORDS_PORT,
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`customer-records: ${error.message}\n`);
  } else {
    process.stderr.write(`customer-records failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
