import { Logger as NestLogger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, createServiceApp } from '@warden/platform';
import { AppModule } from './app.module';
import { loadAuthorizationConfig } from './core/config';
import { scimJsonErrorHandler } from './scim/scim-json-error.handler';

async function main(): Promise<void> {
  const config = loadAuthorizationConfig();
  const options = {
    title: 'Warden authorization',
    description: 'Identities, passwords, sessions, JWT signing keys (JWKS), roles and teams.',
    config,
    port: config.AUTHORIZATION_PORT,
  };
  // runService, plus the configured trusted proxies (the platform trusts loopback only).
  const app = (await createServiceApp(AppModule.forConfig(config), options)) as NestExpressApplication;
  app.set('trust proxy', config.TRUSTED_PROXIES);
  // After the platform's JSON parser: its errors on SCIM paths get SCIM error bodies.
  app.use('/scim/v2', scimJsonErrorHandler);
  await app.listen(options.port, config.HOST);
  new NestLogger('Bootstrap').log(`${options.title} listening on http://${config.HOST}:${options.port}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`authorization: ${error.message}\n`);
  } else {
    process.stderr.write(`authorization failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
