import { connectTestSchema, dropTestSchema, freePort, launchApp, testEnv, uniqueName, uniqueTopicPrefix, type LaunchedApp } from '@warden/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuthUnavailableError } from '../auth/auth.errors';
import { ServiceCredentialsRejectedError, ServiceTokenClient } from './service-token.client';

/** ServiceTokenClient against the real authorization app (client credentials from WARDEN_SERVICE_CLIENTS). */
describe('ServiceTokenClient (against the running authorization service)', () => {
  const schema = uniqueName('it_svc_token');
  const secrets = { exports: randomBytes(32).toString('base64url'), audit: randomBytes(32).toString('base64url') };
  let app: LaunchedApp;
  let db: DataSource;
  const clients: ServiceTokenClient[] = [];
  const client = (options: Partial<ConstructorParameters<typeof ServiceTokenClient>[0]> = {}) => {
    const created = new ServiceTokenClient({ authorizationUrl: app.url, clientId: 'exports', clientSecret: secrets.exports, ...options });
    clients.push(created);
    return created;
  };
  const issued = async (): Promise<number> => {
    const [{ count }]: Array<{ count: string }> = await db.query(`SELECT count(*) AS count FROM "${schema}".events WHERE type = 'ServiceTokenIssued'`);
    return Number(count);
  };

  beforeAll(async () => {
    const port = await freePort();
    const env = testEnv();
    app = await launchApp('authorization', {
      port,
      env: {
        AUTHORIZATION_PORT: String(port),
        AUTHORIZATION_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('it-svc-token'),
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        WARDEN_SERVICE_CLIENTS: `exports=${secrets.exports},audit=${secrets.audit}`,
      },
    });
    db = await connectTestSchema(schema, 'it-svc-token');
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.stop();
    await dropTestSchema(db, schema);
  });

  it('gets a 5-minute EdDSA token for system:<clientId> that verifies against the JWKS', async () => {
    const token = await client().token();
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), {
      issuer: 'warden-authorization',
      audience: 'warden',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: 'system:exports', username: 'system:exports', roles: ['system'], teamId: null, sid: expect.any(String) });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
  });

  it('caches the token and shares one request among concurrent callers', async () => {
    const tokens = client();
    const before = await issued();
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    expect(new Set(all).size).toBe(1);
    expect(await tokens.token()).toBe(all[0]);
    expect((await issued()) - before).toBe(1);
  });

  it('fetches a new token 60 s before the old one expires', async () => {
    let now = Date.now();
    const tokens = client({ now: () => now });
    const first = await tokens.token();
    now += 239_000;
    expect(await tokens.token()).toBe(first);
    now += 2_000;
    const second = await tokens.token();
    expect(second).not.toBe(first);
  });

  it('refuses wrong credentials with a 503-mapped error that does not quote the secret', async () => {
    const wrong = `wrong-${randomBytes(24).toString('base64url')}`;
    const error = await client({ clientSecret: wrong }).token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceCredentialsRejectedError);
    expect(error).toMatchObject({ status: 503, code: 'SERVICE_CREDENTIALS_REJECTED' });
    expect((error as Error).message).not.toContain(wrong);
    // Another client's secret is no better.
    await expect(client({ clientSecret: secrets.audit }).token()).rejects.toBeInstanceOf(ServiceCredentialsRejectedError);
  });

  it('throws AUTH_UNAVAILABLE (503) when authorization is unreachable, then fails fast with the circuit open', async () => {
    const nowhere = client({ authorizationUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500 });
    for (let i = 0; i < 3; i++) {
      await expect(nowhere.token()).rejects.toMatchObject({ status: 503, code: 'AUTH_UNAVAILABLE' });
    }
    const started = Date.now();
    const error = await nowhere.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthUnavailableError);
    expect((error as Error).message).toMatch(/circuit open/);
    expect(Date.now() - started).toBeLessThan(200);
  });
});
