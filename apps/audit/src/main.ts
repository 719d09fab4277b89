import { ConfigError, runService } from '@warden/platform';
import { AppModule } from './app.module';
import { loadAuditConfig } from './core/config';

async function main(): Promise<void> {
  const config = loadAuditConfig();
  await runService(AppModule.forConfig(config), {
    title: 'Warden audit',
    description: 'The tamper-evident, searchable trail of every event: Merkle checkpoints, proofs, verification, search and reports.',
    config,
    port: config.AUDIT_PORT,
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`audit: ${error.message}\n`);
  } else {
    process.stderr.write(`audit failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
