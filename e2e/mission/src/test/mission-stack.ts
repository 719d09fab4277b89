import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** Where each app's last output is saved when the stack stops (git-ignored), to read after a failure. */
export const ARTIFACTS_DIR = resolve(__dirname, '../../artifacts');

/** The services that call others with a token of their own (as tools/stack/start.mjs lists them). */
const SERVICE_CLIENTS = ['exports', 'offboarding', 'anomaly-alerting', 'audit', 'customer-records'] as const;
type ServiceClient = (typeof SERVICE_CLIENTS)[number];

export type MissionApp = 'authorization' | 'customer-records' | 'exports' | 'offboarding' | 'anomaly-alerting' | 'audit' | 'gateway';

export type MissionStack = {
  gatewayUrl: string;
  admin: { username: string; password: string };
  /** Each app's own Postgres schema (the audit's is the one story 3 tampers with). */
  schemas: { authorization: string; customers: string; exports: string; offboarding: string; alerting: string; audit: string; auditOutbox: string };
  /** The topic prefix every app shares (so they talk to each other, and to no other suite). */
  topicPrefix: string;
  /** Every topic the services publish events on (what the audit indexes). */
  eventTopics: string[];
  databaseUrl: string;
  apps: Record<MissionApp, LaunchedApp>;
  stop(): Promise<void>;
};

/**
 * Every Warden app as its own process (launchApp on freePort()s) on the real Postgres, Redis and
 * Kafka: each its own schema, all one topic prefix. Secrets and keys are generated here the way
 * tools/stack/start.mjs generates them for `npm start`: one client secret per calling service
 * (all of them to authorization in WARDEN_SERVICE_CLIENTS, each app its own SERVICE_CLIENT_ID and
 * SERVICE_CLIENT_SECRET), one KEK keyring for every app, the blind index, fingerprint and audit
 * signing keys, and the bootstrap admin from WARDEN_ADMIN_*.
 *
 * The gateway trusts the loopback proxy in front of it (GATEWAY_TRUSTED_PROXIES=loopback): the test
 * plays that load balancer and says through X-Forwarded-For where each person connects from.
 */
export async function launchMissionStack(name: string): Promise<MissionStack> {
  const env = testEnv();
  const base = name.replace(/[^a-z0-9]+/g, '_');
  const audit = uniqueName(`${base}_aud`);
  const schemas = {
    authorization: uniqueName(`${base}_auth`),
    customers: uniqueName(`${base}_cr`),
    exports: uniqueName(`${base}_exp`),
    offboarding: uniqueName(`${base}_offb`),
    alerting: uniqueName(`${base}_aa`),
    audit,
    auditOutbox: `${audit}_outbox`,
  };
  const topicPrefix = uniqueTopicPrefix(name);
  const eventTopics = [...SERVICES.map((service) => `${topicPrefix}${Topics.events(service)}`), `${topicPrefix}${Topics.access}`, `${topicPrefix}${Topics.alerts}`];
  const admin = { username: uniqueName('admin'), password: `admin-${randomBytes(18).toString('base64url')}` };
  const secret = () => randomBytes(32).toString('base64url');
  const clients = Object.fromEntries(SERVICE_CLIENTS.map((id) => [id, secret()])) as Record<ServiceClient, string>;
  const clientEnv = (id: ServiceClient) => ({ SERVICE_CLIENT_ID: id, SERVICE_CLIENT_SECRET: clients[id] });
  const exportsDir = mkdtempSync(join(tmpdir(), 'warden-mission-exports-'));
  const shared = {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
  };
  const launched: Array<{ name: string; app: LaunchedApp }> = [];
  const track = async (name: string, launching: Promise<LaunchedApp>) => {
    const app = await launching;
    launched.push({ name, app });
    return app;
  };
  const stop = async () => {
    await Promise.all(launched.map(({ app }) => app.stop().catch(() => app.kill())));
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    for (const { name: app, app: { output } } of launched) writeFileSync(join(ARTIFACTS_DIR, `${app}.log`), output());
    rmSync(exportsDir, { recursive: true, force: true });
    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  };

  try {
    // Every topic exists before the consumers subscribe (as in a running system).
    await createTopics(testKafka(`${topicPrefix}topics`), [
      ...eventTopics,
      `${topicPrefix}${Topics.commands('customer-records')}`,
      `${topicPrefix}${Topics.commands('exports')}`,
    ]);
    const ports = {
      authorization: await freePort(),
      customers: await freePort(),
      exports: await freePort(),
      offboarding: await freePort(),
      alerting: await freePort(),
      audit: await freePort(),
      gateway: await freePort(),
    };
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const readyTimeoutMs = 180_000;
    const authorization = await track(
      'authorization',
      launchApp('authorization', {
        port: ports.authorization,
        readyTimeoutMs,
        env: {
          ...shared,
          AUTHORIZATION_PORT: String(ports.authorization),
          AUTHORIZATION_DB_SCHEMA: schemas.authorization,
          WARDEN_ADMIN_USERNAME: admin.username,
          WARDEN_ADMIN_PASSWORD: admin.password,
          WARDEN_SERVICE_CLIENTS: Object.entries(clients)
            .map(([id, value]) => `${id}=${value}`)
            .join(','),
        },
      }),
    );
    const auth = { AUTH_JWKS_URL: `${authorization.url}/.well-known/jwks.json`, AUTHORIZATION_URL: authorization.url };
    const settled = await Promise.allSettled([
      track(
        'customer-records',
        launchApp('customer-records', {
          port: ports.customers,
          readyTimeoutMs,
          env: {
            ...shared,
            ...auth,
            ...clientEnv('customer-records'),
            CUSTOMER_RECORDS_PORT: String(ports.customers),
            CUSTOMER_RECORDS_DB_SCHEMA: schemas.customers,
            CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
          },
        }),
      ),
      track(
        'exports',
        launchApp('exports', {
          port: ports.exports,
          readyTimeoutMs,
          env: {
            ...shared,
            ...auth,
            ...clientEnv('exports'),
            EXPORTS_PORT: String(ports.exports),
            EXPORTS_DB_SCHEMA: schemas.exports,
            CUSTOMER_RECORDS_URL: url(ports.customers),
            EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
            EXPORTS_DIR: exportsDir,
            EXPORTS_POLL_MS: '250',
          },
        }),
      ),
      track(
        'offboarding',
        launchApp('offboarding', {
          port: ports.offboarding,
          readyTimeoutMs,
          env: {
            ...shared,
            ...auth,
            ...clientEnv('offboarding'),
            OFFBOARDING_PORT: String(ports.offboarding),
            OFFBOARDING_DB_SCHEMA: schemas.offboarding,
            AUDIT_URL: url(ports.audit),
            OFFBOARDING_SAGA_POLL_MS: '200',
          },
        }),
      ),
      track(
        'anomaly-alerting',
        launchApp('anomaly-alerting', {
          port: ports.alerting,
          readyTimeoutMs,
          env: {
            ...shared,
            ...auth,
            ...clientEnv('anomaly-alerting'),
            ANOMALY_ALERTING_PORT: String(ports.alerting),
            ANOMALY_ALERTING_DB_SCHEMA: schemas.alerting,
            // Detection state of this suite only (windows, first-seen sets, memos).
            ANOMALY_ALERTING_REDIS_PREFIX: `warden:test:${uniqueName(base)}:aa:`,
          },
        }),
      ),
      track(
        'audit',
        launchApp('audit', {
          port: ports.audit,
          readyTimeoutMs,
          env: {
            ...shared,
            ...auth,
            ...clientEnv('audit'),
            AUDIT_PORT: String(ports.audit),
            AUDIT_DB_SCHEMA: schemas.audit,
            AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
            AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
          },
        }),
      ),
      track(
        'gateway',
        launchApp('gateway', {
          port: ports.gateway,
          readyTimeoutMs,
          env: {
            REDIS_URL: env.redisUrl,
            GATEWAY_PORT: String(ports.gateway),
            AUTHORIZATION_URL: authorization.url,
            CUSTOMER_RECORDS_URL: url(ports.customers),
            EXPORTS_URL: url(ports.exports),
            OFFBOARDING_URL: url(ports.offboarding),
            ANOMALY_ALERTING_URL: url(ports.alerting),
            AUDIT_URL: url(ports.audit),
            GATEWAY_TRUSTED_PROXIES: 'loopback',
            // Every person of the stories is driven from this one machine, and the test polls.
            GATEWAY_RATE_LIMIT_MAX: '10000',
            GATEWAY_RATE_LIMIT_KEY_PREFIX: `warden:test:${uniqueName(base)}:rate`,
          },
        }),
      ),
    ]);
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [customers, exportsApp, offboarding, alerting, auditApp, gateway] = settled.map(
      (result) => (result as PromiseFulfilledResult<LaunchedApp>).value,
    );
    return {
      gatewayUrl: gateway.url,
      admin,
      schemas,
      topicPrefix,
      eventTopics,
      databaseUrl: env.databaseUrl,
      apps: {
        authorization,
        'customer-records': customers,
        exports: exportsApp,
        offboarding,
        'anomaly-alerting': alerting,
        audit: auditApp,
        gateway,
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
