import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  connectTestSchema,
  freePort,
  launchApp,
  testEnv,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import { generate } from 'otplib';
import type { DataSource } from 'typeorm';

type Json = Record<string, unknown>;

/**
 * The gateway in front of the real authorization service: proxying with request ids and the
 * client's address, security headers, JSON errors, a service that is down, the console files with
 * the SPA fallback, and rate limits shared by two instances through Redis.
 */
describe('gateway (running, in front of the authorization service)', () => {
  const schema = uniqueName('e2e_gw_auth');
  const adminUsername = uniqueName('admin');
  const adminPassword = `admin-${randomBytes(18).toString('base64url')}`;
  const ratePrefix = `warden:test:${uniqueName('gw')}`;
  const dist = mkdtempSync(join(tmpdir(), 'warden-gw-dist-'));
  let authorization: LaunchedApp;
  let gateway: LaunchedApp;
  let inspector: DataSource;
  let adminToken = '';

  const gatewayEnv = (port: number, extra: Record<string, string> = {}) => {
    const env = testEnv();
    return {
      GATEWAY_PORT: String(port),
      REDIS_URL: env.redisUrl,
      CONSOLE_DIST_DIR: dist,
      AUTHORIZATION_URL: authorization.url,
      GATEWAY_RATE_LIMIT_KEY_PREFIX: ratePrefix,
      ...extra,
    };
  };
  const call = async (
    path: string,
    init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
    base = gateway.url,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let body: Json | string = text;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, headers: res.headers, body: body as Json & string };
  };

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><title>Warden console</title><div id="root"></div>',
    );
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("console")');
    const env = testEnv();
    const authPort = await freePort();
    authorization = await launchApp('authorization', {
      port: authPort,
      env: {
        AUTHORIZATION_PORT: String(authPort),
        AUTHORIZATION_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('e2e-gw'),
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        WARDEN_ADMIN_USERNAME: adminUsername,
        WARDEN_ADMIN_PASSWORD: adminPassword,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
      },
    });
    const gatewayPort = await freePort();
    gateway = await launchApp('gateway', {
      port: gatewayPort,
      // customer-records is not running: its base URL is a port nothing listens on.
      env: gatewayEnv(gatewayPort, { CUSTOMER_RECORDS_URL: `http://127.0.0.1:${await freePort()}` }),
    });
    inspector = await connectTestSchema(schema, 'e2e-gateway');
  });

  afterAll(async () => {
    await gateway?.stop();
    await authorization?.stop();
    if (inspector?.isInitialized) {
      await inspector.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await inspector.destroy();
    }
    rmSync(dist, { recursive: true, force: true });
  });

  describe('proxying to a service', () => {
    it('signs the admin in through /api/authorization, enrolment of the second factor included', async () => {
      const first = await call('/api/authorization/v1/auth/login', {
        body: { username: adminUsername, password: adminPassword },
      });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ mfaEnrollmentRequired: true, enrollmentToken: expect.any(String) });
      const enrollmentToken = first.body.enrollmentToken as string;
      const enrolled = await call('/api/authorization/v1/auth/mfa/enroll', { body: { enrollmentToken } });
      expect(enrolled.status).toBe(200);
      const activated = await call('/api/authorization/v1/auth/mfa/activate', {
        body: { enrollmentToken, totp: await generate({ secret: enrolled.body.secret as string }) },
      });
      expect(activated.status).toBe(200);
      expect(activated.body).toMatchObject({
        accessToken: expect.any(String),
        recoveryCodes: expect.any(Array),
      });
      adminToken = activated.body.accessToken as string;
    });

    it("passes the request id to the service, which records it as the command's correlation id", async () => {
      const requestId = `gw-${randomUUID()}`;
      const username = uniqueName('staff');
      const created = await call('/api/authorization/v1/users', {
        token: adminToken,
        headers: { 'x-request-id': requestId },
        body: {
          username,
          password: `pw-${randomBytes(12).toString('base64url')}`,
          displayName: 'Ada Staff',
          email: `${username}@example.com`,
          roles: ['staff'],
        },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toBe(requestId);
      const rows: Array<{ correlation_id: string }> = await inspector.query(
        `SELECT correlation_id FROM "${schema}".events WHERE type = 'UserCreated' AND stream_id = $1`,
        [`user-${created.body.id as string}`],
      );
      expect(rows).toEqual([{ correlation_id: requestId }]);
    });

    it('gives a request without an id a fresh one, the same on both sides', async () => {
      const res = await call('/api/authorization/v1/roles', { token: adminToken });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("passes the service's own errors through unchanged", async () => {
      const res = await call('/api/authorization/v1/users');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
      const invalid = await call('/api/authorization/v1/users', {
        token: adminToken,
        body: { username: 'x' },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('ignores an X-Forwarded-For sent by the browser: the service sees the address the gateway saw', async () => {
      const before: Array<{ n: string }> = await inspector.query(
        `SELECT count(*) AS n FROM "${schema}".events WHERE type = 'LoginFailed'`,
      );
      const res = await call('/api/authorization/v1/auth/login', {
        body: { username: uniqueName('nobody'), password: 'wrong-password-1' },
        headers: { 'x-forwarded-for': '203.0.113.77', cookie: 'session=abc' },
      });
      expect(res.status).toBe(401);
      const rows: Array<{ ip: string }> = await inspector.query(
        `SELECT actor->>'ip' AS ip FROM "${schema}".events WHERE type = 'LoginFailed' ORDER BY global_position DESC LIMIT 1`,
      );
      const after: Array<{ n: string }> = await inspector.query(
        `SELECT count(*) AS n FROM "${schema}".events WHERE type = 'LoginFailed'`,
      );
      expect(Number(after[0].n)).toBe(Number(before[0].n) + 1);
      expect(rows[0].ip).not.toBe('203.0.113.77');
      expect(rows[0].ip).toMatch(/127\.0\.0\.1/);
    });

    it('answers 503 naming a service that is down', async () => {
      const res = await call('/api/customer-records/v1/customers?mobile=1', { token: adminToken });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'SERVICE_UNAVAILABLE',
        message: 'customer-records is unavailable; try again shortly',
      });
    });
  });

  describe('routes that do not exist', () => {
    it('answers 404 JSON for an unknown service, a path not served, and any other method', async () => {
      const unknown = await call('/api/payroll/v1/salaries');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: expect.stringContaining('"payroll"'),
      });
      for (const path of [
        '/api/authorization/metrics',
        '/api/authorization/docs',
        '/api/authorization/v1/../metrics',
      ]) {
        const res = await call(path);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND' });
      }
      const post = await call('/customers', { body: {} });
      expect(post.status).toBe(404);
      expect(post.body).toMatchObject({ code: 'NOT_FOUND', message: 'POST /customers does not exist' });
      const missingFile = await call('/assets/missing.js');
      expect(missingFile.status).toBe(404);
      expect(missingFile.body).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('the console', () => {
    it('serves index.html for any page of the app, and assets with a long cache', async () => {
      for (const path of ['/', '/customers/42', '/admin/users?x=1']) {
        const res = await call(path, { headers: { accept: 'text/html' } });
        expect(res.status).toBe(200);
        expect(res.body).toContain('Warden console');
        expect(res.headers.get('cache-control')).toBe('no-cache');
      }
      const asset = await call('/assets/index-abc123.js');
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    });

    it('sends a strict CSP and the other security headers, on pages and API answers alike', async () => {
      for (const path of ['/', '/api/authorization/v1/roles']) {
        const res = await call(path, { token: adminToken });
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self';");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
        expect(csp).toContain("frame-ancestors 'none'");
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(res.headers.get('x-powered-by')).toBeNull();
      }
    });
  });

  describe('rate limits', () => {
    it('counts per client in Redis, shared by every instance, and answers 429 with Retry-After', async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      const limited = { GATEWAY_RATE_LIMIT_MAX: '4', GATEWAY_RATE_LIMIT_KEY_PREFIX: `${ratePrefix}:shared` };
      const [a, b] = await Promise.all([
        launchApp('gateway', { port: portA, env: gatewayEnv(portA, limited) }),
        launchApp('gateway', { port: portB, env: gatewayEnv(portB, limited) }),
      ]);
      try {
        const statuses: number[] = [];
        for (const base of [a.url, b.url, a.url, b.url]) {
          statuses.push((await call('/api/authorization/v1/roles', { token: adminToken }, base)).status);
        }
        expect(statuses).toEqual([200, 200, 200, 200]);
        const refused = await call('/api/authorization/v1/roles', { token: adminToken }, a.url);
        expect(refused.status).toBe(429);
        expect(refused.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(refused.headers.get('ratelimit-remaining')).toBe('0');
        // The console's own files are not counted.
        expect((await call('/', {}, b.url)).status).toBe(200);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });
});
