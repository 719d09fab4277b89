import { randomBytes } from 'node:crypto';
import { Topics } from '@warden/contracts';
import {
  connectTestSchema,
  freePort,
  launchApp,
  testEnv,
  testKafka,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { AbilityStub, type StubUser } from './ability-stub';

/**
 * The running customer-records app of a read-side e2e suite: its own schema, topic prefix, token
 * issuer and ability stub, and a connection to its schema for setup and inspection.
 */
export type ReadSideApp = {
  app: LaunchedApp;
  issuer: TestTokenIssuer;
  stub: AbilityStub;
  kafka: Kafka;
  schema: string;
  /** The access topic with the suite's prefix. */
  accessTopic: string;
  db: DataSource;
  /** A bearer token for a user (roles as in the stub) or a service principal. */
  token(userId: string, roles?: string[]): Promise<string>;
  request(token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
};

export async function launchReadSideApp(prefix: string, users: Record<string, StubUser>): Promise<ReadSideApp> {
  const env = testEnv();
  const schema = uniqueName(`e2e_${prefix.replace(/-/g, '_')}`);
  const topicPrefix = uniqueTopicPrefix(`e2e-${prefix}`);
  const port = await freePort();
  const issuer = await TestTokenIssuer.start();
  const stub = await AbilityStub.start(users);
  let app: LaunchedApp;
  try {
    app = await launchApp('customer-records', {
      port,
      env: {
        CUSTOMER_RECORDS_PORT: String(port),
        CUSTOMER_RECORDS_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        AUTH_JWKS_URL: issuer.jwksUrl,
        AUTHORIZATION_URL: stub.url,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
      readyTimeoutMs: 120_000,
    });
  } catch (error) {
    await stub.stop();
    await issuer.stop();
    throw error;
  }
  const db = await connectTestSchema(schema, `e2e-${prefix}`);
  return {
    app,
    issuer,
    stub,
    kafka: testKafka(`e2e-${prefix}`),
    schema,
    accessTopic: `${topicPrefix}${Topics.access}`,
    db,
    token: (userId, roles) => issuer.issue({ userId, roles: roles ?? users[userId]?.roles ?? [] }),
    request: (token, method, path, body, headers = {}) =>
      fetch(`${app.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async stop() {
      await app.stop();
      await stub.stop();
      await issuer.stop();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.destroy();
    },
  };
}
