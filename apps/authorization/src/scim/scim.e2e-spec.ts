import { createTestSchema, dropTestSchema, launchApp, testEnv, uniqueName, uniqueTopicPrefix, type LaunchedApp, freePort } from '@warden/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { generate } from 'otplib';
import type { DataSource } from 'typeorm';

const SCIM = 'application/scim+json';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const newIp = () => `198.18.${randomInt(0, 255)}.${randomInt(1, 254)}`;

describe('SCIM provisioning (running app)', () => {
  const schema = uniqueName('e2e_scim');
  let port = 0;
  const adminUsername = uniqueName('admin');
  const adminPassword = `admin-${randomBytes(18).toString('base64url')}`;
  let app: LaunchedApp;
  let inspector: DataSource;
  let adminToken: string;
  let scimToken: string;

  const call = async (path: string, init: { method?: string; body?: unknown; raw?: string; token?: string; type?: string } = {}) => {
    const hasBody = init.body !== undefined || init.raw !== undefined;
    const res = await fetch(`${app.url}${path}`, {
      method: init.method ?? (hasBody ? 'POST' : 'GET'),
      headers: {
        ...(hasBody ? { 'content-type': init.type ?? SCIM } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        'x-forwarded-for': newIp(),
      },
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { Resources?: Array<Record<string, unknown>> } };
  };
  const scimUser = (userName: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    userName,
    externalId: `ext-${userName}`,
    name: { givenName: 'Zoe', familyName: 'Martin' },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' },
  });

  beforeAll(async () => {
    port = await freePort();
    const env = testEnv();
    app = await launchApp('authorization', {
      port,
      env: {
        AUTHORIZATION_PORT: String(port),
        AUTHORIZATION_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('e2e-scim'),
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        WARDEN_ADMIN_USERNAME: adminUsername,
        WARDEN_ADMIN_PASSWORD: adminPassword,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
      },
    });
    ({ dataSource: inspector } = await createTestSchema('e2e_scim', [], schema));
    // The admin role requires MFA: the bootstrap admin's first login enrols it (enrollment token → enroll → activate).
    const json = 'application/json';
    const login = await call('/v1/auth/login', { body: { username: adminUsername, password: adminPassword }, type: json });
    expect(login.body).toMatchObject({ mfaEnrollmentRequired: true });
    const enrollmentToken = login.body['enrollmentToken'] as string;
    const { secret } = (await call('/v1/auth/mfa/enroll', { body: { enrollmentToken }, type: json })).body as { secret: string };
    const activated = await call('/v1/auth/mfa/activate', { body: { enrollmentToken, totp: await generate({ secret }) }, type: json });
    expect(activated.status).toBe(200);
    adminToken = activated.body['accessToken'] as string;
    const issued = await call('/v1/scim/tokens', { body: { name: 'entra' }, token: adminToken, type: 'application/json' });
    expect(issued.status).toBe(201);
    scimToken = issued.body['token'] as string;
  });

  afterAll(async () => {
    await app?.stop();
    if (inspector) await dropTestSchema(inspector, schema);
  });

  it('lists issued tokens without their secret, stored as a hash only', async () => {
    const list = await call('/v1/scim/tokens', { token: adminToken });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(scimToken);
    const rows: Array<{ token_hash: Buffer }> = await inspector.query(`SELECT token_hash FROM "${schema}".scim_tokens`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.token_hash.toString('utf8').includes(scimToken))).toBe(false);
  });

  it('refuses a request without a token with a 401 SCIM error', async () => {
    const res = await call('/scim/v2/Users');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain(SCIM);
    expect(res.body).toMatchObject({ schemas: [ERROR], status: '401' });
  });

  it('serves the ServiceProviderConfig', async () => {
    const res = await call('/scim/v2/ServiceProviderConfig', { token: scimToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 } });
  });

  describe('SCIM user lifecycle', () => {
    const userName = `${uniqueName('scim')}@example.com`.toLowerCase();
    let id: string;

    it('creates a user (201, SCIM resource with meta)', async () => {
      const res = await call('/scim/v2/Users', { body: scimUser(userName), token: scimToken });
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toContain(SCIM);
      expect(res.body).toMatchObject({ userName, active: true, externalId: `ext-${userName}`, meta: { resourceType: 'User' } });
      id = res.body['id'] as string;
      expect((res.body['meta'] as { location: string }).location).toMatch(new RegExp(`/scim/v2/Users/${id}$`));
    });

    it('finds it by a filter with a mixed-case attribute name', async () => {
      const res = await call(`/scim/v2/Users?filter=${encodeURIComponent(`USERNAME eq "${userName.toUpperCase()}"`)}`, { token: scimToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1 });
      expect(res.body.Resources?.[0]['id']).toBe(id);
    });

    it('refuses a duplicate userName with 409 uniqueness', async () => {
      const res = await call('/scim/v2/Users', { body: scimUser(userName), token: scimToken });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    });

    it('refuses an unsupported filter with 400 invalidFilter', async () => {
      const res = await call(`/scim/v2/Users?filter=${encodeURIComponent('userName co "a"')}`, { token: scimToken });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidFilter' });
    });

    it.each([SCIM, 'application/json'])('refuses malformed JSON sent as %s with 400 invalidSyntax in a SCIM error body', async (type) => {
      const res = await call('/scim/v2/Users', { raw: '{"userName": "secret-value', token: scimToken, type });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain(SCIM);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
      expect(JSON.stringify(res.body)).not.toContain('secret-value');
    });

    it('renames through PUT and PATCH (userName), refusing a taken name with 409 uniqueness', async () => {
      const created = await call('/scim/v2/Users', { body: scimUser(`${uniqueName('ren')}@example.com`.toLowerCase()), token: scimToken });
      expect(created.status).toBe(201);
      const renameId = created.body['id'] as string;
      const renamed = `${uniqueName('renamed')}@example.com`.toLowerCase();
      const put = await call(`/scim/v2/Users/${renameId}`, { method: 'PUT', token: scimToken, body: scimUser(renamed) });
      expect(put.status).toBe(200);
      expect(put.body['userName']).toBe(renamed);
      expect((await call(`/v1/users/${renameId}`, { token: adminToken })).body['username']).toBe(renamed);
      const patched = `${uniqueName('patched')}@example.com`.toLowerCase();
      const patch = await call(`/scim/v2/Users/${renameId}`, {
        method: 'PATCH',
        token: scimToken,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'userName', value: patched }] },
      });
      expect(patch.status).toBe(200);
      expect(patch.body['userName']).toBe(patched);
      const found = await call(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${patched}"`)}`, { token: scimToken });
      expect(found.body['totalResults']).toBe(1);
      const taken = await call(`/scim/v2/Users/${renameId}`, { method: 'PUT', token: scimToken, body: scimUser(userName) });
      expect(taken.status).toBe(409);
      expect(taken.body).toMatchObject({ schemas: [ERROR], scimType: 'uniqueness' });
      const events: Array<{ data: { username?: string } }> = await inspector.query(
        `SELECT data FROM "${schema}".events WHERE stream_id = $1 AND type = 'UserUpdated'`,
        [`user-${renameId}`],
      );
      expect(events.map((e) => e.data.username).filter(Boolean)).toEqual([renamed, patched]);
    });

    it('disables the user on an Entra-style PATCH active "False", records UserDeprovisioned, and refuses their login', async () => {
      const res = await call(`/scim/v2/Users/${id}`, {
        method: 'PATCH',
        token: scimToken,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
      });
      expect(res.status).toBe(200);
      expect(res.body['active']).toBe(false);
      const user = await call(`/v1/users/${id}`, { token: adminToken });
      expect(user.body['status']).toBe('disabled');
      const events: Array<{ type: string; data: unknown }> = await inspector.query(
        `SELECT type, data FROM "${schema}".events WHERE stream_id = $1`,
        [`scim-user-${id}`],
      );
      expect(events).toEqual([{ type: 'UserDeprovisioned', data: { userId: id, source: 'scim', reason: 'inactive' } }]);
      const login = await call('/v1/auth/login', { body: { username: userName, password: 'whatever-password-1234' }, type: 'application/json' });
      expect(login.status).toBe(401);
    });

    it('deletes (204), after which the resource is 404', async () => {
      expect((await call(`/scim/v2/Users/${id}`, { method: 'DELETE', token: scimToken })).status).toBe(204);
      const res = await call(`/scim/v2/Users/${id}`, { token: scimToken });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
    });
  });
});
