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

  it('revokes a token (DELETE /v1/scim/tokens/:id): refused with 401 from then on, the others still work', async () => {
    const issued = await call('/v1/scim/tokens', { body: { name: 'okta' }, token: adminToken, type: 'application/json' });
    expect(issued.status).toBe(201);
    const { id, token } = issued.body as { id: string; token: string };
    expect((await call('/scim/v2/Users?count=1', { token })).status).toBe(200);
    expect((await call(`/v1/scim/tokens/${id}`, { method: 'DELETE', token: adminToken })).status).toBe(204);
    const refused = await call('/scim/v2/Users?count=1', { token });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ schemas: [ERROR], status: '401' });
    const listed = (await call('/v1/scim/tokens', { token: adminToken })).body as unknown as Array<{ id: string; revokedAt: string | null }>;
    expect(listed.find((t) => t.id === id)?.revokedAt).toEqual(expect.any(String));
    expect((await call('/scim/v2/Users?count=1', { token: scimToken })).status).toBe(200);
    expect((await call('/v1/scim/tokens/0190a000-0000-7000-8000-000000000000', { method: 'DELETE', token: adminToken })).status).toBe(404);
    expect((await call('/v1/scim/tokens/not-an-id', { method: 'DELETE', token: adminToken })).status).toBe(400);
  });

  it('pages the Users list by startIndex and count, with totalResults and itemsPerPage', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await call('/scim/v2/Users', { body: scimUser(`${uniqueName('page')}@example.com`.toLowerCase()), token: scimToken })).status).toBe(201);
    }
    const all = await call('/scim/v2/Users?count=200', { token: scimToken });
    expect(all.status).toBe(200);
    const total = all.body['totalResults'] as number;
    const ids = (all.body.Resources ?? []).map((r) => r['id']);
    expect(total).toBeGreaterThanOrEqual(4);
    expect(ids).toHaveLength(total);
    expect(all.body).toMatchObject({ startIndex: 1, itemsPerPage: total });

    const page = await call('/scim/v2/Users?startIndex=2&count=2', { token: scimToken });
    expect(page.body).toMatchObject({ totalResults: total, startIndex: 2, itemsPerPage: 2 });
    expect((page.body.Resources ?? []).map((r) => r['id'])).toEqual(ids.slice(1, 3));
    const last = await call(`/scim/v2/Users?startIndex=${total}&count=5`, { token: scimToken });
    expect(last.body).toMatchObject({ totalResults: total, startIndex: total, itemsPerPage: 1 });
    expect((last.body.Resources ?? []).map((r) => r['id'])).toEqual([ids[total - 1]]);
    // Past the end, or count=0 (only the total, RFC 7644 §3.4.2.4): no resources, the total still right.
    expect((await call(`/scim/v2/Users?startIndex=${total + 1}&count=5`, { token: scimToken })).body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    expect((await call('/scim/v2/Users?count=0', { token: scimToken })).body).toMatchObject({ totalResults: total, itemsPerPage: 0, Resources: [] });
    expect((await call('/scim/v2/Users?startIndex=abc', { token: scimToken })).status).toBe(400);
  });

  it('DELETE of an active user disables them at once: their token is refused, UserDeprovisioned (deleted) is recorded', async () => {
    const username = uniqueName('leaver');
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const created = await call('/v1/users', {
      token: adminToken,
      type: 'application/json',
      body: { username, password, displayName: 'Zoe Martin', email: `${username}@example.com`, roles: ['staff'] },
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    const login = await call('/v1/auth/login', { body: { username, password }, type: 'application/json' });
    expect(login.status).toBe(200);
    const token = login.body['accessToken'] as string;
    expect((await call('/v1/roles', { token })).status).toBe(200);

    expect((await call(`/scim/v2/Users/${id}`, { method: 'DELETE', token: scimToken })).status).toBe(204);
    expect((await call(`/v1/users/${id}`, { token: adminToken })).body['status']).toBe('disabled');
    const refused = await call('/v1/roles', { token });
    expect(refused.status).toBe(401);
    expect(refused.body['code']).toBe('TOKEN_REVOKED');
    expect((await call('/v1/auth/login', { body: { username, password }, type: 'application/json' })).status).toBe(401);
    const events: Array<{ type: string; data: unknown }> = await inspector.query(`SELECT type, data FROM "${schema}".events WHERE stream_id = $1`, [`scim-user-${id}`]);
    expect(events).toEqual([{ type: 'UserDeprovisioned', data: { userId: id, source: 'scim', reason: 'deleted' } }]);
    const revoked: Array<{ data: { reason: string } }> = await inspector.query(
      `SELECT data FROM "${schema}".events WHERE stream_id = $1 AND type = 'SessionRevoked'`,
      [`user-sessions-${id}`],
    );
    expect(revoked.map((e) => e.data.reason)).toEqual(['user_disabled']);
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
