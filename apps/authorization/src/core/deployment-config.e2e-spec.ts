import { connectTestSchema, dropTestSchema } from '@warden/testing';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuthorizationUnderTest } from '../test/e2e-client';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];

/**
 * The app launched as a deployment may configure it: behind a proxy that is not this machine
 * (TRUSTED_PROXIES without loopback, so the tests' loopback peer is an untrusted client), and with
 * a SCIM token from the environment (WARDEN_SCIM_TOKEN).
 */
describe('deployment configuration (running app)', () => {
  const envScimToken = `env-scim-${randomBytes(32).toString('base64url')}`;
  let auth: AuthorizationUnderTest;
  let db: DataSource;

  const scim = async (path: string, token: string, body?: unknown) => {
    const res = await fetch(`${auth.url}/scim/v2${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  beforeAll(async () => {
    auth = await AuthorizationUnderTest.launch('e2e_deploy', { TRUSTED_PROXIES: '192.0.2.10', WARDEN_SCIM_TOKEN: envScimToken });
    auth.secrets.push(envScimToken);
    db = await connectTestSchema(auth.schema, 'e2e-deploy');
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
    if (db) await dropTestSchema(db, auth.schema);
  });

  describe('when the peer is not a trusted proxy', () => {
    it('ignores its X-Forwarded-For: the session and the events record the peer address, with no location', async () => {
      const { id, username, password } = await auth.createUser();
      const login = await auth.login(username, password, undefined, '8.8.8.8');
      expect(login.status).toBe(200);
      const sessions = await auth.call<Array<{ ip: string; geo: unknown }>>(`/v1/users/${id}/sessions`, { token: auth.adminToken });
      expect(sessions.body).toHaveLength(1);
      expect(LOOPBACK).toContain(sessions.body[0].ip);
      expect(sessions.body[0].geo).toBeNull();
      const events: Array<{ actor: { ip: string; geo: unknown } }> = await db.query(
        `SELECT actor FROM "${auth.schema}".events WHERE type = 'LoginSucceeded' AND data->>'userId' = $1`,
        [id],
      );
      expect(events).toHaveLength(1);
      expect(LOOPBACK).toContain(events[0].actor.ip);
      expect(events[0].actor.geo).toBeNull();
      expect(JSON.stringify(events)).not.toContain('8.8.8.8');
    });
  });

  describe('with WARDEN_SCIM_TOKEN set', () => {
    it('accepts that token on the SCIM endpoints, recording changes made with it as scim-token:env', async () => {
      const list = await scim('/Users?count=1', envScimToken);
      expect(list.status).toBe(200);
      expect(list.body['totalResults']).toEqual(expect.any(Number));
      const userName = `${auth.adminUsername}-scim@example.com`;
      const created = await scim('/Users', envScimToken, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        emails: [{ value: userName, type: 'work', primary: true }],
        active: true,
      });
      expect(created.status).toBe(201);
      const [event]: Array<{ actor: { userId: string; deviceId: string } }> = await db.query(
        `SELECT actor FROM "${auth.schema}".events WHERE type = 'UserCreated' AND stream_id = $1`,
        [`user-${created.body['id'] as string}`],
      );
      expect(event.actor).toMatchObject({ userId: 'system:scim', deviceId: 'scim-token:env' });
    });

    it('refuses a wrong token (one character off, or none) with a 401 SCIM error', async () => {
      const last = envScimToken.slice(-1);
      const wrong = `${envScimToken.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
      for (const token of [wrong, `${envScimToken}x`, '']) {
        const res = await scim('/Users?count=1', token);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
      }
    });
  });
});
