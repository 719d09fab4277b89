import { ConfigError, runService } from '@warden/platform';
import { AppModule } from './app.module';
import { loadOffboardingConfig } from './core/config';

async function main(): Promise<void> {
  const config = loadOffboardingConfig();
  await runService(AppModule.forConfig(config), {
    title: 'Warden offboarding',
    description: 'Offboarding cases and their saga: freeze, hand-over, leaver report.',
    config,
    port: config.OFFBOARDING_PORT,
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`offboarding: ${error.message}\n`);
  } else {
    process.stderr.write(`offboarding failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
