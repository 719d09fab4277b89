import { ConfigError, runService } from '@warden/platform';
import { AppModule } from './app.module';
import { loadAnomalyAlertingConfig } from './core/config';

async function main(): Promise<void> {
  const config = loadAnomalyAlertingConfig();
  await runService(AppModule.forConfig(config), {
    title: 'Warden anomaly-alerting',
    description: 'Detection rules over the event stream, alerts and their lifecycle, live delivery and automated response.',
    config,
    port: config.ANOMALY_ALERTING_PORT,
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`anomaly-alerting: ${error.message}\n`);
  } else {
    process.stderr.write(`anomaly-alerting failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
