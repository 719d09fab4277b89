import { freePort, launchApp, testEnv, uniqueName, uniqueTopicPrefix, type LaunchedApp } from '@warden/testing';
import { generate } from 'otplib';
import { randomBytes, randomInt } from 'node:crypto';

export type Tokens = { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string };
export type Answer<T = Record<string, unknown>> = { status: number; headers: Headers; body: T };

/** A public-looking client address (through the trusted loopback proxy). */
export const newIp = (): string => `198.18.${randomInt(0, 255)}.${randomInt(1, 254)}`;

/**
 * The authorization app launched for one e2e suite, with an HTTP helper, the bootstrap admin
 * (MFA enrolled at its first login) and every secret that went over the wire in `secrets`.
 */
export class AuthorizationUnderTest {
  readonly secrets: string[] = [];
  adminToken = '';

  private constructor(
    readonly app: LaunchedApp,
    readonly schema: string,
    readonly adminUsername: string,
    readonly serviceSecrets: Readonly<Record<string, string>>,
  ) {}

  /**
   * `extraClients`: more client ids to configure (a test that locks a client must use one of its
   * own: lockouts live in the shared Redis, keyed by client id).
   */
  static async launch(prefix: string, env: Record<string, string> = {}, extraClients: string[] = []): Promise<AuthorizationUnderTest> {
    const schema = uniqueName(prefix);
    const port = await freePort();
    const test = testEnv();
    const adminUsername = uniqueName('admin');
    const adminPassword = `admin-${randomBytes(18).toString('base64url')}`;
    const serviceSecrets = Object.fromEntries(
      ['exports', 'offboarding', 'anomaly-alerting', 'audit', 'customer-records', ...extraClients].map((id) => [id, randomBytes(32).toString('base64url')]),
    );
    const app = await launchApp('authorization', {
      port,
      env: {
        AUTHORIZATION_PORT: String(port),
        AUTHORIZATION_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(prefix.replace(/_/g, '-')),
        DATABASE_URL: test.databaseUrl,
        REDIS_URL: test.redisUrl,
        KAFKA_BROKERS: test.kafkaBrokers.join(','),
        WARDEN_ADMIN_USERNAME: adminUsername,
        WARDEN_ADMIN_PASSWORD: adminPassword,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        WARDEN_SERVICE_CLIENTS: Object.entries(serviceSecrets)
          .map(([id, secret]) => `${id}=${secret}`)
          .join(','),
        ...env,
      },
    });
    const under = new AuthorizationUnderTest(app, schema, adminUsername, serviceSecrets);
    under.secrets.push(adminPassword, ...Object.values(serviceSecrets));
    under.adminToken = (await under.enrolAtLogin(adminUsername, adminPassword)).tokens.accessToken;
    return under;
  }

  get url(): string {
    return this.app.url;
  }

  async call<T = Record<string, unknown>>(
    path: string,
    init: { method?: string; body?: unknown; token?: string; ip?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const res = await fetch(`${this.app.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        'x-forwarded-for': init.ip ?? newIp(),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  }

  async login(username: string, password: string, totp?: string, ip = newIp()): Promise<Answer<Tokens & { code?: string }>> {
    const res = await this.call<Tokens & { code?: string }>('/v1/auth/login', { body: { username, password, ...(totp ? { totp } : {}) }, ip });
    if (res.status === 200 && res.body.accessToken) this.secrets.push(res.body.accessToken, res.body.refreshToken);
    return res;
  }

  /** A login a role (or RequireMfa) obliges to enrol first: enrollment token → enroll → activate. */
  async enrolAtLogin(username: string, password: string): Promise<{ secret: string; tokens: Tokens; recoveryCodes: string[] }> {
    const first = await this.call<{ enrollmentToken: string; mfaEnrollmentRequired: boolean }>('/v1/auth/login', { body: { username, password } });
    if (first.status !== 200 || !first.body.mfaEnrollmentRequired) throw new Error(`expected an enrollment token, got ${first.status} ${JSON.stringify(first.body)}`);
    const { enrollmentToken } = first.body;
    const enrolled = await this.call<{ secret: string }>('/v1/auth/mfa/enroll', { body: { enrollmentToken } });
    const { secret } = enrolled.body;
    const activated = await this.call<Tokens & { recoveryCodes: string[] }>('/v1/auth/mfa/activate', {
      body: { enrollmentToken, totp: await generate({ secret }) },
    });
    if (activated.status !== 200) throw new Error(`activation failed: ${activated.status}`);
    const { recoveryCodes, ...tokens } = activated.body;
    this.secrets.push(enrollmentToken, secret, tokens.accessToken, tokens.refreshToken, ...recoveryCodes);
    return { secret, tokens, recoveryCodes };
  }

  async createUser(overrides: Record<string, unknown> = {}): Promise<{ id: string; username: string; password: string }> {
    const username = uniqueName('user');
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    this.secrets.push(password);
    const res = await this.call<{ id: string }>('/v1/users', {
      token: this.adminToken,
      body: { username, password, displayName: 'Zoe Martin', email: `${username}@example.com`, roles: ['staff'], ...overrides },
    });
    if (res.status !== 201) throw new Error(`user creation failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id, username, password };
  }

  async serviceToken(clientId: string): Promise<string> {
    const res = await this.call<{ accessToken: string }>('/v1/auth/service-token', { body: { clientId, clientSecret: this.serviceSecrets[clientId] } });
    if (res.status !== 200) throw new Error(`service token for ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
    this.secrets.push(res.body.accessToken);
    return res.body.accessToken;
  }

  stop(): Promise<void> {
    return this.app.stop();
  }
}
