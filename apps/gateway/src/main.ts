import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createLogger } from '@warden/platform';
import Redis from 'ioredis';
import { loadGatewayConfig } from './core/config';
import { createGatewayServer } from './gateway.server';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    commandTimeout: 2000,
  });
  redis.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis error'));
  const app = createGatewayServer(config, { redis, logger });
  if (!existsSync(join(config.CONSOLE_DIST_DIR, 'index.html'))) {
    logger.warn(
      { dir: config.CONSOLE_DIST_DIR },
      'the console is not built (run `npm run console:build`); /api is served',
    );
  }
  const server = app.listen(config.GATEWAY_PORT, config.HOST, () => {
    logger.info(
      { services: config.services },
      `Warden gateway listening on http://${config.HOST}:${config.GATEWAY_PORT}`,
    );
  });
  server.on('error', (error) => {
    process.stderr.write(`gateway failed to listen: ${error.message}\n`);
    process.exit(1);
  });
  const stop = () => {
    logger.info('stopping');
    // Long-lived event streams would hold close() open: end them after a grace period.
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      redis.disconnect();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`gateway: ${error.message}\n`);
  } else {
    process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
