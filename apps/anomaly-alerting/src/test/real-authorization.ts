import { freePort, launchApp, testEnv, uniqueName, type LaunchedApp } from '@warden/testing';
import { generate } from 'otplib';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

type Answer<T> = { status: number; body: T };

/**
 * The REAL authorization app (its own process, schema and topic prefix) with a bootstrap admin
 * enrolled in MFA and `anomaly-alerting` as a service client, for the automated responses.
 */
export class RealAuthorization {
  readonly schema = uniqueName('e2e_aa_auth');
  readonly serviceSecret = randomBytes(32).toString('base64url');
  app!: LaunchedApp;
  adminToken = '';

  async start(prefix: string): Promise<void> {
    const env = testEnv();
    const port = await freePort();
    const username = uniqueName('admin');
    const password = `admin-${randomBytes(18).toString('base64url')}`;
    this.app = await launchApp('authorization', {
      port,
      readyTimeoutMs: 120_000,
      env: {
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        AUTHORIZATION_PORT: String(port),
        AUTHORIZATION_DB_SCHEMA: this.schema,
        WARDEN_ADMIN_USERNAME: username,
        WARDEN_ADMIN_PASSWORD: password,
        WARDEN_SERVICE_CLIENTS: `anomaly-alerting=${this.serviceSecret}`,
      },
    });
    const first = await this.call<{ enrollmentToken: string }>('/v1/auth/login', { body: { username, password } });
    if (first.status !== 200) throw new Error(`admin login: ${first.status}`);
    const { enrollmentToken } = first.body;
    const enrolled = await this.call<{ secret: string }>('/v1/auth/mfa/enroll', { body: { enrollmentToken } });
    const activated = await this.call<{ accessToken: string }>('/v1/auth/mfa/activate', {
      body: { enrollmentToken, totp: await generate({ secret: enrolled.body.secret }) },
    });
    if (activated.status !== 200) throw new Error(`admin MFA activation: ${activated.status}`);
    this.adminToken = activated.body.accessToken;
  }

  get url(): string {
    return this.app.url;
  }

  async call<T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Answer<T>> {
    const res = await fetch(`${this.app.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async createUser(roles: string[]): Promise<string> {
    const username = uniqueName('user');
    const res = await this.call<{ id: string }>('/v1/users', {
      token: this.adminToken,
      body: { username, password: `pw-${randomBytes(12).toString('base64url')}`, displayName: 'Zoe Martin', email: `${username}@example.com`, roles, teamId: null },
    });
    if (res.status !== 201) throw new Error(`user creation: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async stop(): Promise<void> {
    await this.app?.stop();
    const client = new Client({ connectionString: testEnv().databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }
}
