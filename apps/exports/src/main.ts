import { ConfigError, runService } from '@warden/platform';
import { AppModule } from './app.module';
import { loadExportsConfig } from './core/config';

async function main(): Promise<void> {
  const config = loadExportsConfig();
  await runService(AppModule.forConfig(config), {
    title: 'Warden exports',
    description: 'Approved, masked, fingerprinted and encrypted customer exports with one-time downloads.',
    config,
    port: config.EXPORTS_PORT,
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`exports: ${error.message}\n`);
  } else {
    process.stderr.write(`exports failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
