import { randomBytes } from 'node:crypto';
import { quoteSchema } from '@warden/event-store';
import {
  createTestSchema,
  dropTestSchema,
  freePort,
  launchApp,
  testEnv,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { DataSource } from 'typeorm';
import { AbilityStub, type StubUser } from './ability-stub';

export type View = Record<string, unknown> & { id: string };

/**
 * The running app for the write-side e2e suites: its own schema, topic prefix and port, tokens
 * from a real JWKS, abilities from the stub. `users` maps a name to a user id, roles and teams.
 */
export async function startWriteSide(
  prefix: string,
  users: Record<string, StubUser & { userId: string }>,
): Promise<WriteSide> {
  const schema = uniqueName(`e2e_${prefix}`);
  const topicPrefix = uniqueTopicPrefix(`e2e-${prefix}`);
  const port = await freePort();
  const env = testEnv();
  const issuer = await TestTokenIssuer.start();
  const stub = await AbilityStub.start(Object.fromEntries(Object.values(users).map(({ userId, ...user }) => [userId, user])));
  const tokens: Record<string, string> = {};
  for (const [name, user] of Object.entries(users)) {
    tokens[name] = await issuer.issue({ userId: user.userId, roles: user.roles, teamId: user.teamIds?.[0] ?? null });
  }
  const kek = `1:${randomBytes(32).toString('base64')}`;
  const app = await launchApp('customer-records', {
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
      WARDEN_KEKS: kek,
      CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    },
  });
  const { dataSource } = await createTestSchema(prefix, [], schema);
  return new WriteSide(app, issuer, stub, dataSource, schema, topicPrefix, tokens);
}

export class WriteSide {
  readonly s: string;
  constructor(
    readonly app: LaunchedApp,
    private readonly issuer: TestTokenIssuer,
    private readonly stub: AbilityStub,
    readonly db: DataSource,
    readonly schema: string,
    readonly topicPrefix: string,
    private readonly tokens: Record<string, string>,
  ) {
    this.s = quoteSchema(schema);
  }

  request(as: string, method: string, path: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.tokens[as]}`, ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  }

  async register(as: string, payload: Record<string, unknown>): Promise<View> {
    const res = await this.request(as, 'POST', '/v1/customers', payload);
    expect(res.status).toBe(201);
    return (await res.json()) as View;
  }

  async expectError(res: Response, status: number, code: string, message?: RegExp): Promise<void> {
    const answer = (await res.json()) as { code: string; message: string };
    expect({ status: res.status, code: answer.code }).toEqual({ status, code });
    if (message) expect(answer.message).toMatch(message);
  }

  /** The data of every event of a stream, oldest first. */
  async eventsOf(streamId: string): Promise<Array<{ type: string; data: Record<string, unknown>; causation_id: string | null }>> {
    return this.db.query(`SELECT type, data, causation_id FROM ${this.s}.events WHERE stream_id = $1 ORDER BY stream_version`, [streamId]);
  }

  async stop(): Promise<void> {
    await this.app?.stop();
    await this.stub?.stop();
    await this.issuer?.stop();
    await dropTestSchema(this.db, this.schema);
  }
}
