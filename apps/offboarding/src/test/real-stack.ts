import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES, Topics } from '@warden/contracts';
import {
  createTopics,
  expectEventually,
  freePort,
  launchApp,
  testEnv,
  testKafka,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import { generate } from 'otplib';
import { Client } from 'pg';

export type Answer<T> = { status: number; body: T };

/** One HTTP call to a running app (JSON or text body); `ip` goes through the trusted loopback proxy. */
export async function callApp<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string; ip?: string; contentType?: string } = {},
): Promise<Answer<T>> {
  const raw = typeof init.body === 'string';
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': init.contentType ?? 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.ip ? { 'x-forwarded-for': init.ip } : {}),
    },
    body: init.body === undefined ? undefined : raw ? (init.body as string) : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: body as T };
}

export type StackUser = { id: string; username: string; password: string };

/**
 * The REAL authorization, customer-records, exports and audit apps plus offboarding, each its own
 * process (launchApp) on real Postgres, Redis and Kafka, with their own schemas and one topic
 * prefix: offboarding sends its step commands on Kafka (`MarkUserDeparting`, `FreezeUserAccess` to
 * authorization, `CancelUserExports` to exports, `TransferCustomers` to customer-records,
 * `CompileUserActivity` to audit) and calls authorization over HTTP for its service token and users.
 * The bootstrap admin is enrolled in MFA at its first login.
 */
export class RealStack {
  adminToken = '';
  private readonly apps: LaunchedApp[] = [];

  private constructor(
    readonly env: ReturnType<typeof testEnv>,
    readonly schemas: Record<'authorization' | 'customers' | 'audit' | 'auditOutbox' | 'offboarding' | 'exports', string>,
    readonly keks: string,
    readonly prefix: string,
  ) {}

  authorization!: LaunchedApp;
  customers!: LaunchedApp;
  audit!: LaunchedApp;
  exports!: LaunchedApp;
  offboarding!: LaunchedApp;
  private exportsDir: string | null = null;
  offboardingEnv: Record<string, string> = {};

  static async launch(name: string, options: { offboardingEnv?: Record<string, string> } = {}): Promise<RealStack> {
    const env = testEnv();
    const audit = uniqueName(`${name}_aud`);
    const stack = new RealStack(
      env,
      {
        authorization: uniqueName(`${name}_auth`),
        customers: uniqueName(`${name}_cr`),
        audit,
        auditOutbox: `${audit}_outbox`,
        offboarding: uniqueName(`${name}_offb`),
        exports: uniqueName(`${name}_exp`),
      },
      `1:${randomBytes(32).toString('base64')}`,
      uniqueTopicPrefix(name.replace(/_/g, '-')),
    );
    try {
      await stack.start(options.offboardingEnv ?? {});
    } catch (error) {
      await stack.stop().catch(() => undefined);
      throw error;
    }
    return stack;
  }

  private async start(offboardingEnv: Record<string, string>): Promise<void> {
    const { env, schemas, prefix } = this;
    const shared = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      WARDEN_KEKS: this.keks,
    };
    // Every topic the audit service reads exists before it subscribes (as in a running system).
    await createTopics(testKafka(`${prefix}topics`), [
      ...SERVICES.map((service) => `${prefix}${Topics.events(service)}`),
      `${prefix}${Topics.access}`,
      `${prefix}${Topics.alerts}`,
      ...(['authorization', 'customer-records', 'exports', 'audit'] as const).map((service) => `${prefix}${Topics.commands(service)}`),
    ]);
    const adminUsername = uniqueName('admin');
    const adminPassword = `admin-${randomBytes(18).toString('base64url')}`;
    const offboardingSecret = randomBytes(32).toString('base64url');
    const exportsSecret = randomBytes(32).toString('base64url');
    const authPort = await freePort();
    this.authorization = await this.track(
      launchApp('authorization', {
        port: authPort,
        readyTimeoutMs: 120_000,
        env: {
          ...shared,
          AUTHORIZATION_PORT: String(authPort),
          AUTHORIZATION_DB_SCHEMA: schemas.authorization,
          WARDEN_ADMIN_USERNAME: adminUsername,
          WARDEN_ADMIN_PASSWORD: adminPassword,
          WARDEN_SERVICE_CLIENTS: `offboarding=${offboardingSecret},exports=${exportsSecret}`,
        },
      }),
    );
    const jwks = `${this.authorization.url}/.well-known/jwks.json`;
    const [crPort, auditPort, offbPort, exportsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const crUrl = `http://127.0.0.1:${crPort}`;
    this.exportsDir = mkdtempSync(join(tmpdir(), 'warden-offb-exports-'));
    const exportsApp = this.track(
          launchApp('exports', {
            port: exportsPort,
            readyTimeoutMs: 120_000,
            env: {
              ...shared,
              EXPORTS_PORT: String(exportsPort),
              EXPORTS_DB_SCHEMA: schemas.exports,
              AUTH_JWKS_URL: jwks,
              AUTHORIZATION_URL: this.authorization.url,
              CUSTOMER_RECORDS_URL: crUrl,
              SERVICE_CLIENT_ID: 'exports',
              SERVICE_CLIENT_SECRET: exportsSecret,
              EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
              EXPORTS_DIR: this.exportsDir,
              EXPORTS_POLL_MS: '250',
            },
          }),
        );
    const [customers, audit, exportsLaunched] = await Promise.all([
      this.track(
        launchApp('customer-records', {
          port: crPort,
          readyTimeoutMs: 120_000,
          env: {
            ...shared,
            CUSTOMER_RECORDS_PORT: String(crPort),
            CUSTOMER_RECORDS_DB_SCHEMA: schemas.customers,
            CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
            AUTH_JWKS_URL: jwks,
            AUTHORIZATION_URL: this.authorization.url,
          },
        }),
      ),
      this.track(
        launchApp('audit', {
          port: auditPort,
          readyTimeoutMs: 120_000,
          env: {
            ...shared,
            AUDIT_PORT: String(auditPort),
            AUDIT_DB_SCHEMA: schemas.audit,
            AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
            AUTH_JWKS_URL: jwks,
          },
        }),
      ),
      exportsApp,
      this.enrolAdmin(adminUsername, adminPassword),
    ]);
    this.exports = exportsLaunched;
    this.customers = customers;
    this.audit = audit;
    this.offboardingEnv = {
      ...shared,
      OFFBOARDING_PORT: String(offbPort),
      OFFBOARDING_DB_SCHEMA: schemas.offboarding,
      AUTH_JWKS_URL: jwks,
      AUTHORIZATION_URL: this.authorization.url,
      SERVICE_CLIENT_SECRET: offboardingSecret,
      OFFBOARDING_SAGA_POLL_MS: '200',
      ...offboardingEnv,
    };
    this.offboarding = await this.launchOffboarding();
  }

  launchOffboarding(): Promise<LaunchedApp> {
    return this.track(launchApp('offboarding', { port: Number(this.offboardingEnv.OFFBOARDING_PORT), env: this.offboardingEnv, readyTimeoutMs: 120_000 }));
  }

  private async track(launching: Promise<LaunchedApp>): Promise<LaunchedApp> {
    const app = await launching;
    this.apps.push(app);
    return app;
  }

  private async enrolAdmin(username: string, password: string): Promise<void> {
    const auth = this.authorization.url;
    const first = await callApp<{ enrollmentToken: string }>(auth, '/v1/auth/login', { body: { username, password } });
    if (first.status !== 200) throw new Error(`admin login: ${first.status}`);
    const { enrollmentToken } = first.body;
    const enrolled = await callApp<{ secret: string }>(auth, '/v1/auth/mfa/enroll', { body: { enrollmentToken } });
    const activated = await callApp<{ accessToken: string }>(auth, '/v1/auth/mfa/activate', {
      body: { enrollmentToken, totp: await generate({ secret: enrolled.body.secret }) },
    });
    if (activated.status !== 200) throw new Error(`admin MFA activation: ${activated.status}`);
    this.adminToken = activated.body.accessToken;
  }

  async createTeam(): Promise<string> {
    const res = await callApp<{ id: string }>(this.authorization.url, '/v1/teams', { token: this.adminToken, body: { name: uniqueName('team') } });
    if (res.status !== 201) throw new Error(`team creation: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  async createUser(roles: string[], teamId: string | null): Promise<StackUser> {
    const username = uniqueName('user');
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const res = await callApp<{ id: string }>(this.authorization.url, '/v1/users', {
      token: this.adminToken,
      body: { username, password, displayName: 'Zoe Martin', email: `${username}@example.com`, roles, teamId },
    });
    if (res.status !== 201) throw new Error(`user creation: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id, username, password };
  }

  /** A password login (roles without MFA) from `ip`: an open session and its access token. */
  async login(user: StackUser, ip: string): Promise<string> {
    const res = await callApp<{ accessToken: string }>(this.authorization.url, '/v1/auth/login', {
      body: { username: user.username, password: user.password },
      ip,
    });
    if (res.status !== 200 || !res.body.accessToken) throw new Error(`login of ${user.username}: ${res.status}`);
    return res.body.accessToken;
  }

  /** `count` customers of the token's user: customer-records' bulk import as that user (staff own what they register). */
  async importCustomers(token: string, count: number): Promise<void> {
    const lines = ['name,company,tags,classification,mobile,email'];
    for (let i = 0; i < count; i += 1) {
      lines.push(`Customer ${i},Company ${i % 97} Ltd,seed,internal,+86 139-${String(i).padStart(4, '0')}-0000,customer${i}@example.org`);
    }
    const res = await callApp<{ importId: string }>(this.customers.url, '/v1/customers/import', {
      token,
      body: `${lines.join('\n')}\n`,
      contentType: 'text/csv',
    });
    if (res.status !== 202) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
    await expectEventually(
      async () => {
        const progress = await callApp<{ status: string; rowsDone: number; rowsFailed: number }>(
          this.customers.url,
          `/v1/customers/imports/${res.body.importId}`,
          { token },
        );
        if (progress.body.status !== 'completed') throw new Error(`import ${JSON.stringify(progress.body)}`);
        if (progress.body.rowsDone !== count) throw new Error(`import finished with ${JSON.stringify(progress.body)}`);
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
  }

  /** Customers of an owner in customer-records' read model (what its API lists and the transfer moves). */
  async customersOwnedBy(ownerId: string): Promise<number> {
    return this.count(`SELECT count(*)::int AS n FROM "${this.schemas.customers}".customers WHERE owner_id = $1`, [ownerId]);
  }

  async count(sql: string, params: unknown[]): Promise<number> {
    const rows = await this.query<{ n: number }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Reads the apps' tables directly (the test checks effects, it changes nothing). */
  async query<T extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> {
    const client = new Client({ connectionString: this.env.databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop().catch(() => app.kill())));
    const client = new Client({ connectionString: this.env.databaseUrl });
    await client.connect();
    try {
      for (const schema of Object.values(this.schemas)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
    if (this.exportsDir) rmSync(this.exportsDir, { recursive: true, force: true });
  }
}
