import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES, Topics } from '@warden/contracts';
import {
  createTopics,
  freePort,
  launchApp,
  testEnv,
  testKafka,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import { Client } from 'pg';
import { consoleBuild } from './console-build';

export type Stack = {
  gatewayUrl: string;
  admin: { username: string; password: string };
  stop(): Promise<void>;
};

export type StackOptions = {
  /** Also run the exports service, with this approval row threshold (a small one keeps the test data small). */
  exports?: { rowThreshold: number };
  /** Also run the audit service (indexing every topic of the stack, checkpoints every second). */
  audit?: boolean;
  /** Also run the anomaly-alerting service (detection over every topic, alerts API and SSE stream). */
  alerting?: boolean;
  /** Also run the offboarding service (its saga sends commands to authorization, exports and audit: needs `exports` and `audit`). */
  offboarding?: boolean;
};

/**
 * authorization + customer-records + gateway (serving a fresh console build), and on request exports
 * and audit, on real Postgres, Redis and Kafka.
 */
export async function launchStack(name: string, options: StackOptions = {}): Promise<Stack> {
  const env = testEnv();
  const exportsDir = options.exports ? mkdtempSync(join(tmpdir(), 'warden-exports-')) : null;
  const admin = { username: uniqueName('admin'), password: `admin-${randomBytes(18).toString('base64url')}` };
  const base = name.replace(/[^a-z0-9]+/g, '_');
  const schemas: Record<string, string> = {
    authorization: uniqueName(`${base}_auth`),
    customers: uniqueName(`${base}_cr`),
  };
  if (options.exports) schemas.exports = uniqueName(`${base}_exp`);
  if (options.audit) {
    schemas.audit = uniqueName(`${base}_aud`);
    schemas.auditOutbox = `${schemas.audit}_outbox`;
  }
  if (options.alerting) schemas.alerting = uniqueName(`${base}_aa`);
  if (options.offboarding) schemas.offboarding = uniqueName(`${base}_offb`);
  const prefix = uniqueTopicPrefix(name);
  const shared = {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
  };
  const exportsSecret = randomBytes(32).toString('base64url');
  const offboardingSecret = randomBytes(32).toString('base64url');
  const serviceClients = [
    ...(options.exports ? [`exports=${exportsSecret}`] : []),
    ...(options.offboarding ? [`offboarding=${offboardingSecret}`] : []),
  ];
  const apps: LaunchedApp[] = [];
  const stop = async () => {
    await Promise.all(apps.map((app) => app.stop()));
    if (exportsDir) rmSync(exportsDir, { recursive: true, force: true });
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      for (const schema of Object.values(schemas))
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };
  try {
    // Every topic the audit and detection services read exists before they subscribe (as in a running system).
    const topics =
      options.audit || options.alerting || options.offboarding
        ? createTopics(testKafka(`${base}-topics`), [
            ...SERVICES.map((service) => `${prefix}${Topics.events(service)}`),
            `${prefix}${Topics.access}`,
            `${prefix}${Topics.alerts}`,
            ...(options.offboarding
              ? [`${prefix}${Topics.commands('customer-records')}`, `${prefix}${Topics.commands('exports')}`]
              : []),
          ])
        : Promise.resolve();
    // The console builds while the authorization service starts; the gateway waits for it.
    const build = consoleBuild();
    build.catch(() => undefined);
    const [authPort] = await Promise.all([freePort(), topics]);
    const authorization = await launchApp('authorization', {
      port: authPort,
      env: {
        ...shared,
        AUTHORIZATION_PORT: String(authPort),
        AUTHORIZATION_DB_SCHEMA: schemas.authorization,
        WARDEN_ADMIN_USERNAME: admin.username,
        WARDEN_ADMIN_PASSWORD: admin.password,
        ...(serviceClients.length ? { WARDEN_SERVICE_CLIENTS: serviceClients.join(',') } : {}),
      },
    });
    apps.push(authorization);
    const jwks = `${authorization.url}/.well-known/jwks.json`;
    const [crPort, gatewayPort, exportsPort, auditPort, alertingPort, offboardingPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const crUrl = `http://127.0.0.1:${crPort}`;
    const launches: Array<Promise<LaunchedApp>> = [
      launchApp('customer-records', {
        port: crPort,
        env: {
          ...shared,
          CUSTOMER_RECORDS_PORT: String(crPort),
          CUSTOMER_RECORDS_DB_SCHEMA: schemas.customers,
          CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
          AUTH_JWKS_URL: jwks,
          AUTHORIZATION_URL: authorization.url,
        },
      }),
      build.then((dist) =>
        launchApp('gateway', {
          port: gatewayPort,
          env: {
            REDIS_URL: env.redisUrl,
            GATEWAY_PORT: String(gatewayPort),
            CONSOLE_DIST_DIR: dist,
            AUTHORIZATION_URL: authorization.url,
            CUSTOMER_RECORDS_URL: crUrl,
            EXPORTS_URL: `http://127.0.0.1:${exportsPort}`,
            AUDIT_URL: `http://127.0.0.1:${auditPort}`,
            ANOMALY_ALERTING_URL: `http://127.0.0.1:${alertingPort}`,
            OFFBOARDING_URL: `http://127.0.0.1:${offboardingPort}`,
            GATEWAY_RATE_LIMIT_KEY_PREFIX: `warden:test:${uniqueName(name)}`,
          },
        }),
      ),
    ];
    if (options.exports && exportsDir) {
      launches.push(
        launchApp('exports', {
          port: exportsPort,
          env: {
            ...shared,
            EXPORTS_PORT: String(exportsPort),
            EXPORTS_DB_SCHEMA: schemas.exports,
            AUTH_JWKS_URL: jwks,
            AUTHORIZATION_URL: authorization.url,
            CUSTOMER_RECORDS_URL: crUrl,
            SERVICE_CLIENT_ID: 'exports',
            SERVICE_CLIENT_SECRET: exportsSecret,
            EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
            EXPORTS_DIR: exportsDir,
            EXPORTS_POLL_MS: '250',
            EXPORTS_ROW_THRESHOLD: String(options.exports.rowThreshold),
          },
        }),
      );
    }
    if (options.audit) {
      launches.push(
        launchApp('audit', {
          port: auditPort,
          env: {
            ...shared,
            AUDIT_PORT: String(auditPort),
            AUDIT_DB_SCHEMA: schemas.audit,
            AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
            AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
            AUTH_JWKS_URL: jwks,
            AUTHORIZATION_URL: authorization.url,
          },
        }),
      );
    }
    if (options.alerting) {
      launches.push(
        launchApp('anomaly-alerting', {
          port: alertingPort,
          readyTimeoutMs: 120_000,
          env: {
            ...shared,
            ANOMALY_ALERTING_PORT: String(alertingPort),
            ANOMALY_ALERTING_DB_SCHEMA: schemas.alerting,
            ANOMALY_ALERTING_REDIS_PREFIX: `warden:test:${schemas.alerting}:`,
            AUTH_JWKS_URL: jwks,
            AUTHORIZATION_URL: authorization.url,
          },
        }),
      );
    }
    if (options.offboarding) {
      launches.push(
        launchApp('offboarding', {
          port: offboardingPort,
          readyTimeoutMs: 120_000,
          env: {
            ...shared,
            OFFBOARDING_PORT: String(offboardingPort),
            OFFBOARDING_DB_SCHEMA: schemas.offboarding,
            AUTH_JWKS_URL: jwks,
            AUTHORIZATION_URL: authorization.url,
            AUDIT_URL: `http://127.0.0.1:${auditPort}`,
            SERVICE_CLIENT_SECRET: offboardingSecret,
            OFFBOARDING_SAGA_POLL_MS: '200',
          },
        }),
      );
    }
    const settled = await Promise.allSettled(launches);
    for (const result of settled) if (result.status === 'fulfilled') apps.push(result.value);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { gatewayUrl: `http://127.0.0.1:${gatewayPort}`, admin, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
