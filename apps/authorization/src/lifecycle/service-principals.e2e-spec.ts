import { connectTestSchema, dropTestSchema, expectEventually } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { AuthorizationUnderTest } from '../test/e2e-client';

type ErrorBody = { code: string; message: string; statusCode: number };
type Ability = { policyVersion: number; rules: Array<{ action: string[]; subject: string; inverted: boolean; source: { id: string } }> };

describe('authorization for other services (running app)', () => {
  let auth: AuthorizationUnderTest;
  /** A client of this run only: its lockout (shared Redis) touches no other suite. */
  const lockable = `locktest-${randomBytes(6).toString('hex')}`;
  let db: DataSource;
  const tokens: Record<string, string> = {};
  const events = async (type: string, userId: string): Promise<number> => {
    const [{ count }]: Array<{ count: string }> = await db.query(
      `SELECT count(*) AS count FROM "${auth.schema}".events WHERE type = $1 AND data->>'userId' = $2`,
      [type, userId],
    );
    return Number(count);
  };

  beforeAll(async () => {
    auth = await AuthorizationUnderTest.launch('e2e_svc', { LOGIN_MAX_FAILURES: '3' }, [lockable]);
    db = await connectTestSchema(auth.schema, 'e2e-svc');
    for (const id of ['exports', 'offboarding', 'anomaly-alerting', 'audit', 'customer-records']) tokens[id] = await auth.serviceToken(id);
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
    await dropTestSchema(db, auth.schema);
  });

  describe('POST /v1/auth/service-token', () => {
    it('issues a 5-minute token and records ServiceTokenIssued without the secret or the token', async () => {
      const res = await auth.call<{ accessToken: string; expiresIn: number }>('/v1/auth/service-token', {
        body: { clientId: 'audit', clientSecret: auth.serviceSecrets.audit },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: 300, tokenType: 'Bearer' });
      const rows: Array<{ data: unknown; actor: { userId: string } }> = await db.query(
        `SELECT data, actor FROM "${auth.schema}".events WHERE type = 'ServiceTokenIssued' AND data->>'clientId' = 'audit'`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows[0].actor.userId).toBe('system:audit');
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(auth.serviceSecrets.audit);
      expect(stored).not.toContain(res.body.accessToken);
    });

    it('answers a wrong secret and an unknown client alike: 401 INVALID_CLIENT', async () => {
      const wrong = await auth.call<ErrorBody>('/v1/auth/service-token', { body: { clientId: 'exports', clientSecret: 'x'.repeat(40) } });
      // An unknown id of this run only: failures of a name are remembered in the shared Redis for a day.
      const nobody = `nobody-${randomBytes(6).toString('hex')}`;
      const unknown = await auth.call<ErrorBody>('/v1/auth/service-token', { body: { clientId: nobody, clientSecret: 'x'.repeat(40) } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body.code).toBe('INVALID_CLIENT');
      const bad = await auth.call<ErrorBody>('/v1/auth/service-token', { body: { clientId: 'exports' } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/body\.clientSecret/);
    });

    it('locks a client after repeated failures (423), even with the right secret', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await auth.call('/v1/auth/service-token', { body: { clientId: lockable, clientSecret: 'y'.repeat(40) } })).status).toBe(401);
      }
      const locked = await auth.call<ErrorBody>('/v1/auth/service-token', {
        body: { clientId: lockable, clientSecret: auth.serviceSecrets[lockable] },
      });
      expect(locked.status).toBe(423);
      expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });

  describe('what each service may call', () => {
    let user: { id: string };
    beforeAll(async () => {
      user = await auth.createUser();
    });
    const status = async (service: string, path: string, body?: unknown) => (await auth.call(path, { token: tokens[service], body })).status;

    it('lets the reading services list and read users and teams; others get 403', async () => {
      for (const service of ['exports', 'offboarding', 'anomaly-alerting', 'audit']) {
        expect(await status(service, '/v1/users?limit=5')).toBe(200);
        expect(await status(service, `/v1/users/${user.id}`)).toBe(200);
        expect(await status(service, '/v1/teams')).toBe(200);
      }
      expect(await status('customer-records', `/v1/users/${user.id}`)).toBe(403);
    });

    it("lets the enforcing services read a user's ability and ask for decisions on that user's behalf", async () => {
      for (const service of ['exports', 'customer-records', 'offboarding', 'anomaly-alerting']) {
        expect(await status(service, `/v1/users/${user.id}/ability`)).toBe(200);
        const decided = await auth.call<{ results: Array<{ allowed: boolean }> }>('/v1/decisions', {
          token: tokens[service],
          body: { userId: user.id, decisions: [{ subject: 'Customer', action: 'read' }, { subject: 'AuditLog', action: 'view-audit' }] },
        });
        expect(decided.status).toBe(200);
        expect(decided.body.results.map((r) => r.allowed)).toEqual([true, false]);
      }
      expect(await status('audit', `/v1/users/${user.id}/ability`)).toBe(403);
      const missing = await auth.call<ErrorBody>('/v1/decisions', { token: tokens.exports, body: { decisions: [{ subject: 'Customer', action: 'read' }] } });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toMatch(/body\.userId/);
    });

    it('refuses a service everywhere it is not named: admin writes, roles, grants, sessions, other services’ endpoints', async () => {
      expect(await status('exports', '/v1/roles')).toBe(403);
      expect(await status('exports', '/v1/users', { username: 'x', password: 'y', displayName: 'z', email: 'a@b.c', roles: ['staff'] })).toBe(403);
      expect(await status('offboarding', `/v1/users/${user.id}/sessions`)).toBe(403);
      expect(await status('exports', '/v1/grants')).toBe(403);
      expect(await status('exports', `/v1/users/${user.id}/freeze`, { reason: 'no' })).toBe(403);
      expect(await status('anomaly-alerting', `/v1/users/${user.id}/freeze`, { reason: 'no' })).toBe(403);
      expect(await status('offboarding', `/v1/users/${user.id}/require-mfa`, {})).toBe(403);
      expect(await status('audit', `/v1/users/${user.id}/departing`, { effectiveAt: '2031-01-01T00:00:00Z' })).toBe(403);
    });

    it('keeps people to their roles on the new endpoints', async () => {
      const staff = await auth.createUser();
      const { body } = await auth.login(staff.username, staff.password);
      expect((await auth.call(`/v1/users/${user.id}/freeze`, { token: body.accessToken, body: { reason: 'x' } })).status).toBe(403);
      expect((await auth.call(`/v1/users/${user.id}/restrictions`, { token: body.accessToken, body: { action: 'export', until: '2031-01-01T00:00:00Z', reason: 'x' } })).status).toBe(403);
    });
  });

  describe('offboarding: departing and freeze', () => {
    it('marks a user departing (hr or the offboarding service), idempotently', async () => {
      const user = await auth.createUser();
      const hr = await auth.createUser({ roles: ['hr'] });
      const hrToken = (await auth.login(hr.username, hr.password)).body.accessToken;
      const first = await auth.call<{ status: string; departingEffectiveAt: string }>(`/v1/users/${user.id}/departing`, {
        token: tokens.offboarding,
        body: { effectiveAt: '2031-03-31T17:00:00+02:00' },
      });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ status: 'departing', departingEffectiveAt: '2031-03-31T15:00:00.000Z' });
      const again = await auth.call(`/v1/users/${user.id}/departing`, { token: hrToken, body: { effectiveAt: '2031-03-31T15:00:00Z' } });
      expect(again.status).toBe(200);
      expect(await events('UserMarkedDeparting', user.id)).toBe(1);
      const bad = await auth.call<ErrorBody>(`/v1/users/${user.id}/departing`, { token: tokens.offboarding, body: { effectiveAt: 'tomorrow' } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/body\.effectiveAt/);
      expect((await auth.call(`/v1/users/00000000-0000-7000-8000-000000000000/departing`, { token: tokens.offboarding, body: { effectiveAt: '2031-03-31T15:00:00Z' } })).status).toBe(404);
    });

    describe('cancelling the departure (POST /v1/users/:id/departing/cancel)', () => {
      type Departure = { status: string; departingEffectiveAt: string | null };
      const cancel = (id: string, token = tokens.offboarding, body: unknown = { reason: 'offboarding:case-7 cancelled' }) =>
        auth.call<Departure & ErrorBody>(`/v1/users/${id}/departing/cancel`, { token, body });
      const read = async (id: string) => (await auth.call<{ status: string }>(`/v1/users/${id}`, { token: tokens.offboarding })).body.status;

      it('makes a departing user active again and clears the date, once, with UserDepartureCancelled after the status change', async () => {
        const user = await auth.createUser();
        const session = (await auth.login(user.username, user.password)).body;
        const marked = await auth.call(`/v1/users/${user.id}/departing`, { token: tokens.offboarding, body: { effectiveAt: '2031-03-31T15:00:00Z' } });
        expect(marked.body).toEqual({ status: 'departing', departingEffectiveAt: '2031-03-31T15:00:00.000Z' });

        const first = await cancel(user.id);
        expect(first.status).toBe(200);
        expect(first.body).toEqual({ status: 'active', departingEffectiveAt: null });
        expect(await read(user.id)).toBe('active');
        const again = await cancel(user.id);
        expect(again.status).toBe(200);
        expect(again.body).toEqual({ status: 'active', departingEffectiveAt: null });
        const rows: Array<{ type: string; data: Record<string, unknown>; actor: { userId: string } }> = await db.query(
          `SELECT type, data, actor FROM "${auth.schema}".events WHERE data->>'userId' = $1 AND type IN ('UserStatusChanged', 'UserDepartureCancelled') ORDER BY global_position`,
          [user.id],
        );
        expect(rows.map((r) => [r.type, r.data.to ?? null])).toEqual([
          ['UserStatusChanged', 'departing'],
          ['UserStatusChanged', 'active'],
          ['UserDepartureCancelled', null],
        ]);
        expect(rows[2].data).toEqual({ userId: user.id, effectiveAt: '2031-03-31T15:00:00.000Z', reason: 'offboarding:case-7 cancelled' });
        expect(rows[2].actor.userId).toBe('system:offboarding');
        // The user kept working throughout (a departing user's sessions are kept) and may be marked again.
        expect((await auth.call('/v1/roles', { token: session.accessToken })).status).toBe(200);
        const remarked = await auth.call(`/v1/users/${user.id}/departing`, { token: tokens.offboarding, body: { effectiveAt: '2031-04-30T15:00:00Z' } });
        expect(remarked.body).toEqual({ status: 'departing', departingEffectiveAt: '2031-04-30T15:00:00.000Z' });
      });

      it('changes nothing for a user who is not departing', async () => {
        const user = await auth.createUser();
        const res = await cancel(user.id);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: 'active', departingEffectiveAt: null });
        expect(await events('UserDepartureCancelled', user.id)).toBe(0);
      });

      it('is for the offboarding service only: people (even admin and hr) and other services get 403', async () => {
        const user = await auth.createUser();
        await auth.call(`/v1/users/${user.id}/departing`, { token: tokens.offboarding, body: { effectiveAt: '2031-03-31T15:00:00Z' } });
        const hr = await auth.createUser({ roles: ['hr'] });
        const hrToken = (await auth.login(hr.username, hr.password)).body.accessToken;
        for (const token of [auth.adminToken, hrToken, tokens.exports, tokens['anomaly-alerting'], tokens.audit]) {
          expect((await cancel(user.id, token)).status).toBe(403);
        }
        expect((await auth.call(`/v1/users/${user.id}/departing/cancel`, { body: { reason: 'x' } })).status).toBe(401);
        expect(await read(user.id)).toBe('departing');
        expect(await events('UserDepartureCancelled', user.id)).toBe(0);
      });

      it('answers 404 for an unknown user, 400 without a reason, 409 for a frozen (offboarded) user', async () => {
        const unknown = await cancel('00000000-0000-7000-8000-000000000000');
        expect(unknown.status).toBe(404);
        expect(unknown.body.code).toBe('USER_NOT_FOUND');
        const user = await auth.createUser();
        const bad = await cancel(user.id, tokens.offboarding, {});
        expect(bad.status).toBe(400);
        expect(bad.body.message).toMatch(/body\.reason/);
        await auth.call(`/v1/users/${user.id}/departing`, { token: tokens.offboarding, body: { effectiveAt: '2031-03-31T15:00:00Z' } });
        expect((await auth.call(`/v1/users/${user.id}/freeze`, { token: tokens.offboarding, body: { reason: 'offboarding case 9' } })).status).toBe(200);
        const refused = await cancel(user.id);
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('USER_OFFBOARDED');
        expect(await read(user.id)).toBe('offboarded');
        expect(await events('UserDepartureCancelled', user.id)).toBe(0);
      });
    });

    it('freezes at once: every session refused, refresh dead, grants revoked, offboarded; a second call changes nothing and answers what the first did', async () => {
      const user = await auth.createUser();
      const one = (await auth.login(user.username, user.password)).body;
      const two = (await auth.login(user.username, user.password)).body;
      const grant = await auth.call('/v1/grants', {
        token: one.accessToken,
        body: { userId: user.id, permissions: [{ action: 'export', subject: 'Customer' }], reason: 'quarter end', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      });
      expect(grant.status).toBe(201);
      expect((await auth.call('/v1/roles', { token: one.accessToken })).status).toBe(200);

      const frozen = await auth.call(`/v1/users/${user.id}/freeze`, { token: tokens.offboarding, body: { reason: 'offboarding case 42' } });
      expect(frozen.status).toBe(200);
      expect(frozen.body).toEqual({ sessionsRevoked: 2, grantsRevoked: 1, alreadyFrozen: false });
      for (const t of [one, two]) {
        const refused = await auth.call<ErrorBody>('/v1/roles', { token: t.accessToken });
        expect(refused.status).toBe(401);
        expect(refused.body.code).toBe('TOKEN_REVOKED');
        expect((await auth.call('/v1/auth/refresh', { body: { refreshToken: t.refreshToken } })).status).toBe(401);
      }
      expect((await auth.login(user.username, user.password)).status).toBe(401);
      const read = await auth.call<{ status: string }>(`/v1/users/${user.id}`, { token: tokens.offboarding });
      expect(read.body.status).toBe('offboarded');
      const sessions = await auth.call<Array<{ status: string }>>(`/v1/users/${user.id}/sessions`, { token: auth.adminToken });
      expect(sessions.body.map((s) => s.status)).toEqual(['revoked', 'revoked']);

      const again = await auth.call(`/v1/users/${user.id}/freeze`, { token: auth.adminToken, body: { reason: 'again' } });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ sessionsRevoked: 2, grantsRevoked: 1, alreadyFrozen: true });
      expect(await events('UserFrozen', user.id)).toBe(1);
      expect(await events('GrantRevoked', user.id)).toBe(1);
    });
  });

  describe('automated responses (anomaly-alerting, security_officer)', () => {
    it('ends every session at once', async () => {
      const user = await auth.createUser();
      const session = (await auth.login(user.username, user.password)).body;
      const res = await auth.call(`/v1/users/${user.id}/sessions/revoke-all`, { token: tokens['anomaly-alerting'], body: { reason: 'impossible travel' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sessionsRevoked: 1 });
      expect((await auth.call('/v1/roles', { token: session.accessToken })).status).toBe(401);
    });

    it('requires MFA from the next login on', async () => {
      const user = await auth.createUser();
      expect((await auth.login(user.username, user.password)).body.accessToken).toEqual(expect.any(String));
      const res = await auth.call(`/v1/users/${user.id}/require-mfa`, { token: tokens['anomaly-alerting'], body: { reason: 'new country' } });
      expect(res.status).toBe(200);
      expect((await auth.call(`/v1/users/${user.id}/require-mfa`, { method: 'POST', token: tokens['anomaly-alerting'] })).status).toBe(200);
      expect(await events('UserMfaRequired', user.id)).toBe(1);
      const enrolled = await auth.enrolAtLogin(user.username, user.password);
      expect(enrolled.tokens.accessToken).toEqual(expect.any(String));
      const withoutCode = await auth.login(user.username, user.password);
      expect(withoutCode.status).toBe(401);
      expect(withoutCode.body.code).toBe('MFA_REQUIRED');
    });

    it('denies export until lifted: an explicit deny in the ability, with a new policy version', async () => {
      const user = await auth.createUser();
      await auth.call('/v1/grants', { token: auth.adminToken, body: { userId: user.id, permissions: [{ action: 'export', subject: 'Customer' }], reason: 'r', expiresAt: new Date(Date.now() + 86_400_000).toISOString() } });
      const ability = async () => (await auth.call<Ability>(`/v1/users/${user.id}/ability`, { token: tokens.exports })).body;
      const exportDecision = async () =>
        (await auth.call<{ results: Array<{ allowed: boolean }> }>('/v1/decisions', {
          token: tokens.exports,
          body: { userId: user.id, decisions: [{ subject: 'Customer', action: 'export' }] },
        })).body.results[0].allowed;
      const before = await ability();

      const until = new Date(Date.now() + 3_600_000).toISOString();
      const imposed = await auth.call<{ restrictionId: string; status: string }>(`/v1/users/${user.id}/restrictions`, {
        token: tokens['anomaly-alerting'],
        body: { action: 'export', until, reason: 'bulk export alert' },
      });
      expect(imposed.status).toBe(201);
      expect(imposed.body).toMatchObject({ restrictionId: expect.any(String), status: 'imposed', until });
      const during = await ability();
      expect(during.policyVersion).toBeGreaterThan(before.policyVersion);
      expect(during.rules).toContainEqual(
        expect.objectContaining({ action: ['export'], subject: 'all', inverted: true, source: { kind: 'grant', id: `restriction:${imposed.body.restrictionId}` } }),
      );
      expect(await exportDecision()).toBe(false);

      const lifted = await auth.call(`/v1/users/${user.id}/restrictions/${imposed.body.restrictionId}`, { method: 'DELETE', token: tokens['anomaly-alerting'] });
      expect(lifted.status).toBe(204);
      expect((await auth.call(`/v1/users/${user.id}/restrictions/${imposed.body.restrictionId}`, { method: 'DELETE', token: tokens['anomaly-alerting'] })).status).toBe(204);
      const after = await ability();
      expect(after.policyVersion).toBeGreaterThan(during.policyVersion);
      expect(after.rules.some((r) => r.inverted && r.source.id.startsWith('restriction:'))).toBe(false);

      const unknown = await auth.call<ErrorBody>(`/v1/users/${user.id}/restrictions/00000000-0000-7000-8000-000000000000`, { method: 'DELETE', token: tokens['anomaly-alerting'] });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('USER_RESTRICTION_NOT_FOUND');
      const bad = await auth.call<ErrorBody>(`/v1/users/${user.id}/restrictions`, { token: tokens['anomaly-alerting'], body: { action: 'read', until, reason: 'x' } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/body\.action/);
      const past = await auth.call<ErrorBody>(`/v1/users/${user.id}/restrictions`, { token: tokens['anomaly-alerting'], body: { action: 'export', until: '2020-01-01T00:00:00Z', reason: 'x' } });
      expect(past.status).toBe(400);
      expect(past.body.code).toBe('USER_INVALID_RESTRICTION');
    });
  });

  describe("the ability endpoint's reader check", () => {
    it("uses the reader's current roles, not the token's", async () => {
      const other = await auth.createUser();
      const reader = await auth.createUser();
      const login = await auth.login(reader.username, reader.password);
      expect(login.status).toBe(200);
      const readerToken = login.body.accessToken;
      expect((await auth.call(`/v1/users/${other.id}/ability`, { token: readerToken })).status).toBe(403);
      // Promoted: the token still names staff only (a role added keeps the session), the database decides.
      const promoted = await auth.call(`/v1/users/${reader.id}`, { method: 'PATCH', token: auth.adminToken, body: { roles: ['staff', 'security_officer'] } });
      expect(promoted.status).toBe(200);
      await expectEventually(async () => {
        expect((await auth.call(`/v1/users/${other.id}/ability`, { token: readerToken })).status).toBe(200);
      });
      expect((await auth.call(`/v1/users/${reader.id}/ability`, { token: readerToken })).status).toBe(200);
      // Demoted: a role taken away ends every session of the user, so that token is refused altogether.
      const demoted = await auth.call(`/v1/users/${reader.id}`, { method: 'PATCH', token: auth.adminToken, body: { roles: ['staff'] } });
      expect(demoted.status).toBe(200);
      await expectEventually(async () => {
        expect((await auth.call(`/v1/users/${other.id}/ability`, { token: readerToken })).status).toBe(401);
      });
    });
  });
});
