import { Topics, isAccessStream } from '@warden/contracts';
import { StaticKeyProvider } from '@warden/crypto';
import {
  createTestSchema,
  dropTestSchema,
  expectEventually,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
  freePort,
} from '@warden/testing';
import { generate } from 'otplib';
import { createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import Redis from 'ioredis';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { privateKeyFromSeed } from './signing-keys/signing-key.service';

type Tokens = { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string };
type Enrolment = { secret: string; tokens: Tokens; recoveryCodes: string[] };
type ErrorBody = { statusCode: number; code: string; message: string; error: string; retryAfterSeconds?: number };

/** A public-looking client address of the test's own (through the trusted loopback proxy). */
const newIp = () => `198.18.${randomInt(0, 255)}.${randomInt(1, 254)}`;

describe('authorization (running app)', () => {
  const schema = uniqueName('e2e_auth');
  const topicPrefix = uniqueTopicPrefix('e2e-auth');
  let port = 0;
  const adminUsername = uniqueName('admin');
  const adminPassword = `admin-${randomBytes(18).toString('base64url')}`;
  const keks = `1:${randomBytes(32).toString('base64')}`;
  /** Every secret that went over the wire: none may appear in an event. */
  const secrets: string[] = [adminPassword];
  /** Clear e-mail addresses given to the API: events carry them masked only. */
  const emails: string[] = [];
  let app: LaunchedApp;
  let inspector: DataSource;
  let adminToken: string;
  /** The bootstrap admin's recovery codes (admin requires MFA): each later admin login spends one. */
  let adminRecoveryCodes: string[];

  const call = async (path: string, init: { method?: string; body?: unknown; token?: string; ip?: string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${app.url}${path}`, {
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
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as never };
  };
  const login = async (username: string, password: string, ip = newIp(), headers: Record<string, string> = {}, totp?: string) => {
    const res = await call('/v1/auth/login', { body: { username, password, ...(totp === undefined ? {} : { totp }) }, ip, headers });
    if (res.status === 200) {
      const tokens = res.body as Tokens;
      secrets.push(tokens.accessToken, tokens.refreshToken);
    }
    return res as { status: number; headers: Headers; body: Tokens & ErrorBody };
  };
  const loginWithCode = (username: string, password: string, totp: string) => login(username, password, newIp(), {}, totp);
  /** A login a role obliges to enrol first: enrollment token → enroll → activate with an otplib code. */
  const enrolAtLogin = async (username: string, password: string): Promise<Enrolment> => {
    const first = await call('/v1/auth/login', { body: { username, password } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mfaEnrollmentRequired: true, enrollmentToken: expect.any(String) });
    const { enrollmentToken } = first.body as { enrollmentToken: string };
    secrets.push(enrollmentToken);
    const enrolled = await call('/v1/auth/mfa/enroll', { body: { enrollmentToken } });
    expect(enrolled.status).toBe(200);
    const { secret } = enrolled.body as { secret: string };
    secrets.push(secret);
    const activated = await call('/v1/auth/mfa/activate', { body: { enrollmentToken, totp: await generate({ secret }) } });
    expect(activated.status).toBe(200);
    const { recoveryCodes, ...tokens } = activated.body as Tokens & { recoveryCodes: string[] };
    secrets.push(tokens.accessToken, tokens.refreshToken, ...recoveryCodes);
    return { secret, tokens, recoveryCodes };
  };
  const createUser = async (overrides: Record<string, unknown> = {}) => {
    const username = uniqueName('user');
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    secrets.push(password);
    emails.push(`${username}@example.com`);
    const res = await call('/v1/users', {
      token: adminToken,
      body: { username, password, displayName: 'Zoe Martin', email: `${username}@example.com`, roles: ['staff'], ...overrides },
    });
    expect(res.status).toBe(201);
    return { username, password, user: res.body as { id: string; username: string; email: string } };
  };

  beforeAll(async () => {
    port = await freePort();
    const env = testEnv();
    app = await launchApp('authorization', {
      port,
      env: {
        AUTHORIZATION_PORT: String(port),
        AUTHORIZATION_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        WARDEN_ADMIN_USERNAME: adminUsername,
        WARDEN_ADMIN_PASSWORD: adminPassword,
        WARDEN_KEKS: keks,
        LOGIN_IP_MAX_FAILURES: '8',
      },
    });
    ({ dataSource: inspector } = await createTestSchema('e2e_auth', [], schema));
    // The admin role requires MFA: the bootstrap admin's first login enrols it.
    const admin = await enrolAtLogin(adminUsername, adminPassword);
    adminToken = admin.tokens.accessToken;
    adminRecoveryCodes = admin.recoveryCodes;
  });

  afterAll(async () => {
    await app?.stop();
    await dropTestSchema(inspector, schema);
  });

  describe('login and tokens', () => {
    it('logs the bootstrap admin in with a bearer token pair (with its second factor)', async () => {
      const res = await loginWithCode(adminUsername, adminPassword, adminRecoveryCodes.pop() as string);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });
      expect(Buffer.from(res.body.refreshToken, 'base64url')).toHaveLength(32);
      // No browser or proxy keeps a copy of the tokens (RFC 6749 §5.1).
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('serves the JWKS, against which the access token verifies with EdDSA and Warden claims', async () => {
      const jwks = await call('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      // Public keys may be kept a minute (the platform's no-store is replaced).
      expect(jwks.headers.get('cache-control')).toBe('public, max-age=60');
      const keys = (jwks.body as JSONWebKeySet).keys;
      expect(keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
      expect(JSON.stringify(keys)).not.toMatch(/"d"/);
      const { payload, protectedHeader } = await jwtVerify(adminToken, createLocalJWKSet(jwks.body as JSONWebKeySet), {
        algorithms: ['EdDSA'],
        issuer: 'warden-authorization',
        audience: 'warden',
      });
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: keys[0].kid });
      expect(payload).toMatchObject({ username: adminUsername, roles: ['admin'], teamId: null, sub: expect.any(String), sid: expect.any(String) });
      expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    });

    describe('an admin endpoint refuses with 401', () => {
      const expect401 = async (token: string | undefined, code: string) => {
        const res = await call('/v1/users', { token });
        expect(res.status).toBe(401);
        expect((res.body as ErrorBody).code).toBe(code);
        expect(res.headers.get('cache-control')).toBe('no-store');
      };

      it('no token', () => expect401(undefined, 'UNAUTHENTICATED'));

      it('a tampered token', async () => {
        const [header, payload, signature] = adminToken.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin', 'security_officer'] })).toString('base64url');
        await expect401(`${header}.${forged}.${signature}`, 'INVALID_TOKEN');
      });

      it('an `alg: none` token', async () => {
        const [, payload] = adminToken.split('.');
        const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        await expect401(`${none}.${payload}.`, 'INVALID_TOKEN');
      });

      it('a token signed by an unknown key (unknown kid)', async () => {
        const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ sid: crypto.randomUUID(), username: adminUsername, roles: ['admin'], teamId: null })
          .setProtectedHeader({ alg: 'EdDSA', kid: crypto.randomUUID() })
          .setIssuer('warden-authorization')
          .setAudience('warden')
          .setSubject(crypto.randomUUID())
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(privateKey);
        await expect401(token, 'INVALID_TOKEN');
      });

      it('an expired token, signed with the real key (unwrapped from signing_keys with the KEK)', async () => {
        const [row]: Array<{ kid: string; private_wrapped: string; kek_version: number }> = await inspector.query(
          `SELECT kid, private_wrapped, kek_version FROM "${schema}".signing_keys WHERE status = 'current'`,
        );
        const seed = await StaticKeyProvider.fromKeyring(keks).unwrap({ kekVersion: row.kek_version, ciphertext: row.private_wrapped });
        const { payload } = await jwtVerify(adminToken, createLocalJWKSet((await call('/.well-known/jwks.json')).body as JSONWebKeySet));
        const past = Math.floor(Date.now() / 1000) - 3600;
        const expired = await new SignJWT({ ...payload, iat: past, exp: past + 900 })
          .setProtectedHeader({ alg: 'EdDSA', kid: row.kid })
          .sign(privateKeyFromSeed(seed));
        await expect401(expired, 'INVALID_TOKEN');
      });
    });
  });

  describe('admin API', () => {
    it('creates a user (201, no secret in the answer) who can then log in, and lists users by cursor', async () => {
      const { username, password, user } = await createUser();
      expect(user).toMatchObject({ username, email: `${username}@example.com`, roles: ['staff'], status: 'active', clearance: 'internal' });
      expect(JSON.stringify(user)).not.toContain(password);
      expect(JSON.stringify(user)).not.toMatch(/argon2|hash/i);
      expect((await login(username, password)).status).toBe(200);

      await createUser();
      const first = await call('/v1/users?limit=1', { token: adminToken });
      expect(first.status).toBe(200);
      // The platform hashes no ETag from answers (they depend on who asks), and no one keeps a copy.
      expect(first.headers.get('etag')).toBeNull();
      expect(first.headers.get('cache-control')).toBe('no-store');
      const page1 = first.body as { items: Array<{ id: string }>; nextCursor: string };
      expect(page1.items).toHaveLength(1);
      const page2 = (await call(`/v1/users?limit=1&cursor=${page1.nextCursor}`, { token: adminToken })).body as { items: Array<{ id: string }> };
      expect(page2.items[0].id > page1.items[0].id).toBe(true);
      const byName = (await call(`/v1/users?username=${username}`, { token: adminToken })).body as { items: Array<{ id: string }> };
      expect(byName.items.map((u) => u.id)).toEqual([user.id]);
    });

    it('refuses a staff user with 403', async () => {
      const { username, password } = await createUser();
      const staff = await login(username, password);
      const res = await call('/v1/users', { token: staff.body.accessToken });
      expect(res.status).toBe(403);
      expect((res.body as ErrorBody).code).toBe('FORBIDDEN');
      expect((await call('/v1/auth/keys/rotate', { method: 'POST', token: staff.body.accessToken })).status).toBe(403);
    });

    it('filters the user directory by status (GET /v1/users?status=)', async () => {
      const { user: leaver } = await createUser();
      const { user: stayer } = await createUser();
      const disable = await call(`/v1/users/${leaver.id}`, { method: 'PATCH', token: adminToken, body: { status: 'disabled', statusReason: 'left' } });
      expect(disable.status).toBe(200);
      const idsWith = async (status: string) => {
        const res = await call(`/v1/users?status=${status}&limit=200`, { token: adminToken });
        expect(res.status).toBe(200);
        const { items } = res.body as { items: Array<{ id: string; status: string }> };
        expect(items.map((u) => u.status).filter((s) => s !== status)).toEqual([]);
        return items.map((u) => u.id);
      };
      const disabled = await idsWith('disabled');
      expect(disabled).toContain(leaver.id);
      expect(disabled).not.toContain(stayer.id);
      const active = await idsWith('active');
      expect(active).toContain(stayer.id);
      expect(active).not.toContain(leaver.id);
      const bad = await call('/v1/users?status=sleeping', { token: adminToken });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('status');
    });

    it('ends every session of a user moved to another team: the old token is refused, the next login names the new team', async () => {
      const teamOf = async (name: string) => ((await call('/v1/teams', { token: adminToken, body: { name: uniqueName(name) } })).body as { id: string }).id;
      const [north, south] = [await teamOf('north'), await teamOf('south')];
      const { username, password, user } = await createUser({ teamId: north });
      const other = await createUser({ teamId: north });
      const old = (await login(username, password)).body;
      const kept = (await login(other.username, other.password)).body;
      expect((await call(`/v1/users/${user.id}/sessions`, { token: old.accessToken })).status).toBe(200);

      // Renaming does not end sessions; a move to another team does.
      expect((await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body: { displayName: 'Zoe North' } })).status).toBe(200);
      expect((await call(`/v1/users/${user.id}/sessions`, { token: old.accessToken })).status).toBe(200);
      const moved = await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body: { teamId: south } });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ teamId: south });
      await expectEventually(
        async () => {
          const res = await call(`/v1/users/${user.id}/sessions`, { token: old.accessToken });
          expect(res.status).toBe(401);
          expect((res.body as ErrorBody).code).toBe('TOKEN_REVOKED');
        },
        { timeoutMs: 1000 },
      );
      expect((await call('/v1/auth/refresh', { body: { refreshToken: old.refreshToken } })).status).toBe(401);
      const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ status: string; revokeReason: string }>;
      expect(sessions).toEqual([expect.objectContaining({ status: 'revoked', revokeReason: 'team_changed' })]);
      // Only the moved user's sessions end.
      expect((await call(`/v1/users/${other.user.id}/sessions`, { token: kept.accessToken })).status).toBe(200);

      // The next login names the new team (retried: a login within the second of the revocation is refused for that second).
      const jwks = createLocalJWKSet((await call('/.well-known/jwks.json')).body as JSONWebKeySet);
      await expectEventually(
        async () => {
          const again = await login(username, password);
          expect(again.status).toBe(200);
          expect((await call(`/v1/users/${user.id}/sessions`, { token: again.body.accessToken })).status).toBe(200);
          expect((await jwtVerify(again.body.accessToken, jwks)).payload.teamId).toBe(south);
        },
        { timeoutMs: 5000, intervalMs: 500 },
      );
    });

    it('ends every session of an admin demoted by another admin: the old token is refused, the next login gets the current roles', async () => {
      const { username, password, user } = await createUser({ roles: ['admin', 'staff'] });
      const enrolment = await enrolAtLogin(username, password);
      const old = enrolment.tokens;
      expect((await call('/v1/users', { token: old.accessToken })).status).toBe(200);

      const demoted = await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, ip: '8.8.4.4', body: { roles: ['staff'] } });
      expect(demoted.status).toBe(200);
      expect(demoted.body).toMatchObject({ roles: ['staff'] });
      await expectEventually(
        async () => {
          const res = await call('/v1/users', { token: old.accessToken });
          expect(res.status).toBe(401);
          expect((res.body as ErrorBody).code).toBe('TOKEN_REVOKED');
        },
        { timeoutMs: 1000 },
      );
      expect((await call('/v1/auth/refresh', { body: { refreshToken: old.refreshToken } })).status).toBe(401);
      const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ status: string; revokeReason: string }>;
      expect(sessions).toEqual([expect.objectContaining({ status: 'revoked', revokeReason: 'roles_changed' })]);
      const revoked: Array<{ data: unknown; actor: Record<string, unknown> }> = await inspector.query(
        `SELECT data, actor FROM "${schema}".events WHERE stream_id = $1 AND type = 'SessionRevoked'`,
        [`user-sessions-${user.id}`],
      );
      expect(revoked).toEqual([
        {
          data: { userId: user.id, sessionId: null, reason: 'roles_changed' },
          actor: expect.objectContaining({ ip: '8.8.4.4', geo: expect.objectContaining({ country: 'US', asn: 15169 }) }),
        },
      ]);

      // A new login (with a recovery code: the user enrolled MFA as an admin) carries the current roles. A
      // login within the second of the revocation gets a token refused for that second, so it is retried.
      await expectEventually(
        async () => {
          const again = await loginWithCode(username, password, enrolment.recoveryCodes.pop() as string);
          expect(again.status).toBe(200);
          const res = await call('/v1/users', { token: again.body.accessToken });
          expect(res.status).toBe(403);
          expect((res.body as ErrorBody).code).toBe('FORBIDDEN');
        },
        { timeoutMs: 5000, intervalMs: 500 },
      );
    });

    it('keeps the sessions of a user who only gains a role', async () => {
      const { username, password, user } = await createUser();
      const token = (await login(username, password)).body.accessToken;
      const promoted = await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body: { roles: ['staff', 'auditor'] } });
      expect(promoted.status).toBe(200);
      expect((await call('/v1/roles', { token })).status).toBe(200);
      const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ status: string }>;
      expect(sessions.map((s) => s.status)).toEqual(['active']);
    });

    it('lets HR read the user directory (to pick leavers and successors) but not change it', async () => {
      const { user: someone } = await createUser();
      const { username, password } = await createUser({ roles: ['hr'] });
      const hr = await login(username, password);
      const token = hr.body.accessToken as string;
      const found = await call(`/v1/users?username=${someone.username}`, { token });
      expect(found.status).toBe(200);
      expect((found.body as { items: Array<{ id: string }> }).items.map((u) => u.id)).toEqual([someone.id]);
      expect((await call(`/v1/users/${someone.id}`, { token })).status).toBe(200);
      const change = await call(`/v1/users/${someone.id}`, { method: 'PATCH', token, body: { displayName: 'Changed' } });
      expect(change.status).toBe(403);
    });

    it('refuses a weak password with 400 naming the rule, and a taken user name with 409', async () => {
      const username = uniqueName('weak');
      const weak = await call('/v1/users', {
        token: adminToken,
        body: { username, password: 'Password1234', displayName: 'W', email: 'w@example.com', roles: ['staff'] },
      });
      expect(weak.status).toBe(400);
      expect(weak.body).toMatchObject({ code: 'WEAK_PASSWORD', message: 'password is too common' });
      const short = await call('/v1/users', {
        token: adminToken,
        body: { username, password: 'short', displayName: 'W', email: 'w@example.com', roles: ['staff'] },
      });
      expect(short.body).toMatchObject({ code: 'WEAK_PASSWORD', message: 'password must have at least 12 characters' });

      const { username: taken } = await createUser();
      const dup = await call('/v1/users', {
        token: adminToken,
        body: { username: taken.toUpperCase(), password: 'plum-kettle-orbit-42', displayName: 'D', email: 'd@example.com', roles: ['staff'] },
      });
      expect(dup.status).toBe(409);
      expect((dup.body as ErrorBody).code).toBe('USERNAME_TAKEN');
    });

    it('creates and lists teams, and puts a user in one', async () => {
      const name = uniqueName('team');
      const team = await call('/v1/teams', { token: adminToken, body: { name } });
      expect(team.status).toBe(201);
      const teamId = (team.body as { id: string }).id;
      const { user, username, password } = await createUser({ teamId });
      expect((await call('/v1/teams', { token: adminToken })).body).toEqual(expect.arrayContaining([expect.objectContaining({ id: teamId, name })]));
      const { payload } = await jwtVerify((await login(username, password)).body.accessToken, createLocalJWKSet((await call('/.well-known/jwks.json')).body as JSONWebKeySet));
      expect(payload.teamId).toBe(teamId);
      const inTeam = (await call(`/v1/users?teamId=${teamId}`, { token: adminToken })).body as { items: Array<{ id: string }> };
      expect(inTeam.items.map((u) => u.id)).toEqual([user.id]);
    });
  });

  describe('failed logins', () => {
    it('answers the same 401 for a wrong password and an unknown user', async () => {
      const { username } = await createUser();
      const wrong = await login(username, 'not-the-password-at-all');
      const unknown = await login(uniqueName('nobody'), 'not-the-password-at-all');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'INVALID_CREDENTIALS', message: 'invalid user name or password' });
    });

    it('locks the name after 5 failures: 423 with Retry-After, even with the right password', async () => {
      const { username, password } = await createUser();
      for (let i = 0; i < 5; i += 1) expect((await login(username, `wrong-password-${i}`)).status).toBe(401);
      const locked = await login(username, password);
      expect(locked.status).toBe(423);
      expect(locked.body).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfterSeconds: expect.any(Number) });
      expect(locked.body.retryAfterSeconds).toBeGreaterThan(0);
      expect(locked.body.retryAfterSeconds).toBeLessThanOrEqual(30);
      expect(Number(locked.headers.get('retry-after'))).toBe(locked.body.retryAfterSeconds);
    });

    it('rate-limits an address after too many failures (429), whatever the names', async () => {
      const ip = newIp();
      for (let i = 0; i < 8; i += 1) expect((await login(uniqueName('nobody'), 'wrong-password-xyz', ip)).status).toBe(401);
      const limited = await login(uniqueName('nobody'), 'wrong-password-xyz', ip);
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('sessions', () => {
    it('rotates refresh tokens; reusing a spent one kills the whole session', async () => {
      const { username, password, user } = await createUser();
      const first = (await login(username, password)).body;
      const second = await call('/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(second.status).toBe(200);
      const rotated = second.body as Tokens;
      secrets.push(rotated.accessToken, rotated.refreshToken);
      expect(rotated.refreshToken).not.toBe(first.refreshToken);
      // Stored as their SHA-256 only: neither raw token appears anywhere in the table.
      const stored: Array<Record<string, unknown>> = await inspector.query(`SELECT * FROM "${schema}".refresh_tokens WHERE user_id = $1`, [user.id]);
      expect(stored.map((row) => row['token_hash']).sort()).toEqual([first.refreshToken, rotated.refreshToken].map((t) => createHash('sha256').update(t).digest('hex')).sort());
      const table = JSON.stringify(await inspector.query(`SELECT * FROM "${schema}".refresh_tokens`));
      for (const raw of [first.refreshToken, rotated.refreshToken]) expect(table).not.toContain(raw);
      expect((await call('/v1/auth/refresh', { body: { refreshToken: first.refreshToken } })).body).toMatchObject({
        statusCode: 401,
        code: 'INVALID_REFRESH_TOKEN',
      });
      expect((await call('/v1/auth/refresh', { body: { refreshToken: rotated.refreshToken } })).status).toBe(401);
      // Its access tokens die with it.
      const me = await call('/v1/auth/logout', { method: 'POST', token: rotated.accessToken });
      expect(me.status).toBe(401);
      const types: Array<{ type: string }> = await inspector.query(
        `SELECT type FROM "${schema}".events WHERE data->>'userId' = $1 AND stream_id LIKE 'session-%' ORDER BY global_position`,
        [user.id],
      );
      expect(types.map((t) => t.type)).toEqual(['LoginSucceeded', 'TokenRefreshed', 'RefreshTokenReuseDetected', 'SessionRevoked']);
    });

    it('logout refuses the access token at once and kills the refresh token', async () => {
      const { username, password } = await createUser();
      const tokens = (await login(username, password)).body;
      expect((await call('/v1/auth/logout', { method: 'POST', token: tokens.accessToken })).status).toBe(204);
      const after = await call('/v1/auth/logout', { method: 'POST', token: tokens.accessToken });
      expect(after.status).toBe(401);
      expect((after.body as ErrorBody).code).toBe('TOKEN_REVOKED');
      expect((await call('/v1/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    });

    it('records device, address and GeoIP; revoking all refuses every token of the user at once', async () => {
      const { username, password, user } = await createUser();
      const a = (await login(username, password, '8.8.8.8', { 'x-device-id': 'laptop-1', 'user-agent': 'e2e-agent' })).body;
      const b = (await login(username, password, newIp())).body;
      // The events' actor carries the same: address, user agent, device and where the address is.
      const [succeeded]: Array<{ actor: Record<string, unknown> }> = await inspector.query(
        `SELECT actor FROM "${schema}".events WHERE type = 'LoginSucceeded' AND data->>'userId' = $1 AND actor->>'ip' = '8.8.8.8'`,
        [user.id],
      );
      expect(succeeded.actor).toEqual({
        userId: user.id,
        sessionId: expect.any(String),
        ip: '8.8.8.8',
        userAgent: 'e2e-agent',
        deviceId: 'laptop-1',
        geo: { country: 'US', city: null, asn: 15169, asnOrg: 'Google LLC' },
      });
      // A private (here loopback) address has no place: geo null.
      const local = await login(username, password, '127.0.0.1');
      expect(local.status).toBe(200);
      const [localActor]: Array<{ actor: Record<string, unknown> }> = await inspector.query(
        `SELECT actor FROM "${schema}".events WHERE type = 'LoginSucceeded' AND data->>'userId' = $1 AND actor->>'ip' = '127.0.0.1'`,
        [user.id],
      );
      expect(localActor.actor).toMatchObject({ ip: '127.0.0.1', geo: null });
      expect((await call('/v1/auth/logout', { method: 'POST', token: local.body.accessToken })).status).toBe(204);
      const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<Record<string, unknown>>;
      expect(sessions).toHaveLength(3);
      expect(sessions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            deviceId: 'laptop-1',
            ip: '8.8.8.8',
            userAgent: 'e2e-agent',
            geo: { country: 'US', city: null, asn: 15169, asnOrg: 'Google LLC' },
            status: 'active',
          }),
          expect.objectContaining({ geo: null }),
        ]),
      );
      // A failed login records where it came from too, with its autonomous system (in the data and the actor).
      expect((await login(username, 'not-the-password', '1.1.1.1')).status).toBe(401);
      const failed: Array<{ data: { geo: unknown }; actor: Record<string, unknown> }> = await inspector.query(
        `SELECT data, actor FROM "${schema}".events WHERE type = 'LoginFailed' AND data->>'userId' = $1`,
        [user.id],
      );
      expect(failed.map((row) => row.data.geo)).toEqual([expect.objectContaining({ asn: 13335, asnOrg: 'Cloudflare, Inc.' })]);
      expect(failed.map((row) => row.actor)).toEqual([
        expect.objectContaining({ userId: user.id, ip: '1.1.1.1', geo: expect.objectContaining({ asn: 13335, asnOrg: 'Cloudflare, Inc.' }) }),
      ]);
      expect((await call(`/v1/users/${user.id}/sessions`, { method: 'DELETE', token: adminToken })).status).toBe(204);
      for (const token of [a.accessToken, b.accessToken]) {
        const res = await call('/v1/auth/logout', { method: 'POST', token });
        expect(res.status).toBe(401);
        expect((res.body as ErrorBody).code).toBe('TOKEN_REVOKED');
      }
      expect((await call('/v1/auth/refresh', { body: { refreshToken: b.refreshToken } })).status).toBe(401);
      const after = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ status: string }>;
      expect(after.map((s) => s.status)).toEqual(['revoked', 'revoked', 'revoked']);
    });

    it('lets a person see their own sessions and sign out everywhere, but not touch anyone else’s', async () => {
      const me = await createUser();
      const other = await createUser();
      const laptop = (await login(me.username, me.password)).body;
      const phone = (await login(me.username, me.password)).body;
      const mine = await call(`/v1/users/${me.user.id}/sessions`, { token: laptop.accessToken });
      expect(mine.status).toBe(200);
      expect((mine.body as Array<{ status: string }>).map((s) => s.status)).toEqual(['active', 'active']);
      for (const method of ['GET', 'DELETE']) {
        const refused = await call(`/v1/users/${other.user.id}/sessions`, { method, token: laptop.accessToken });
        expect(refused.status).toBe(403);
        expect((refused.body as ErrorBody).message).toMatch(/only an admin/);
      }
      expect((await call(`/v1/users/${me.user.id}/sessions`, { method: 'DELETE', token: laptop.accessToken })).status).toBe(204);
      for (const token of [laptop.accessToken, phone.accessToken]) {
        expect((await call('/v1/auth/logout', { method: 'POST', token })).status).toBe(401);
      }
      const after = (await call(`/v1/users/${me.user.id}/sessions`, { token: adminToken })).body as Array<{ status: string; revokeReason: string }>;
      expect(after.map((s) => [s.status, s.revokeReason])).toEqual([
        ['revoked', 'signed_out_everywhere'],
        ['revoked', 'signed_out_everywhere'],
      ]);
    });

    it('disabling a user ends their sessions and their logins', async () => {
      const { username, password, user } = await createUser();
      const tokens = (await login(username, password)).body;
      const res = await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body: { status: 'disabled', statusReason: 'left' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'disabled' });
      expect((await call('/v1/auth/logout', { method: 'POST', token: tokens.accessToken })).status).toBe(401);
      expect((await login(username, password)).body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const bad = await call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body: { status: 'departing' } });
      expect(bad.status).toBe(409);
      const types: Array<{ type: string }> = await inspector.query(`SELECT type FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`, [
        `user-${user.id}`,
      ]);
      expect(types.map((t) => t.type)).toEqual(['UserCreated', 'UserStatusChanged', 'UserDisabled']);
    });
  });

  describe('two-factor authentication (TOTP)', () => {
    it('enrols voluntarily, activates (recovery codes), then requires a fresh code at login', async () => {
      const { username, password, user } = await createUser();
      const token = (await login(username, password)).body.accessToken;
      const enrolled = await call('/v1/auth/mfa/enroll', { method: 'POST', token });
      expect(enrolled.status).toBe(200);
      const { secret, otpauthUri } = enrolled.body as { secret: string; otpauthUri: string };
      secrets.push(secret);
      expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      expect((await call('/v1/auth/mfa/activate', { token, body: { totp: '000000' } })).body).toMatchObject({ code: 'INVALID_MFA_CODE' });
      const code = await generate({ secret });
      const activated = await call('/v1/auth/mfa/activate', { token, body: { totp: code } });
      expect(activated.status).toBe(200);
      const { recoveryCodes } = activated.body as { recoveryCodes: string[] };
      secrets.push(...recoveryCodes);
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      expect((await call('/v1/auth/mfa/enroll', { method: 'POST', token })).status).toBe(409);

      const without = await login(username, password);
      expect(without.status).toBe(401);
      expect(without.body.code).toBe('MFA_REQUIRED');
      const wrong = await call('/v1/auth/login', { body: { username, password, totp: code === '123456' ? '654321' : '123456' } });
      expect(wrong.body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      // The code used to confirm is spent; the next step's code (within the ±30 s tolerance) logs in once.
      const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
      const ok = await call('/v1/auth/login', { body: { username, password, totp: next } });
      expect(ok.status).toBe(200);
      secrets.push((ok.body as Tokens).accessToken, (ok.body as Tokens).refreshToken);
      const replay = await call('/v1/auth/login', { body: { username, password, totp: next } });
      expect(replay.status).toBe(401);
      const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ mfa: boolean }>;
      expect(sessions.some((s) => s.mfa)).toBe(true);
      const [{ count }]: Array<{ count: string }> = await inspector.query(
        `SELECT count(*) FROM "${schema}".events WHERE type = 'MfaEnabled' AND stream_id = $1`,
        [`user-${user.id}`],
      );
      expect(Number(count)).toBe(1);
    });

    it('an MFA-less staff user logs in directly, with no enrolment', async () => {
      const { username, password } = await createUser({ roles: ['staff'] });
      const res = await login(username, password);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });
    });

    describe('when a role requires MFA (security_officer)', () => {
      it('answers an enrollment token (no session), enrols and signs in with tokens and recovery codes', async () => {
        const { username, password, user } = await createUser({ roles: ['security_officer'] });
        const first = await call('/v1/auth/login', { body: { username, password } });
        expect(first.status).toBe(200);
        const { enrollmentToken } = first.body as { mfaEnrollmentRequired: boolean; enrollmentToken: string };
        secrets.push(enrollmentToken);
        expect(first.body).toEqual({ mfaEnrollmentRequired: true, enrollmentToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
        expect((await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body).toEqual([]);

        const forged = await call('/v1/auth/mfa/enroll', { body: { enrollmentToken: randomBytes(32).toString('base64url') } });
        expect(forged.status).toBe(401);
        expect((forged.body as ErrorBody).code).toBe('INVALID_ENROLLMENT_TOKEN');
        expect((await call('/v1/auth/mfa/enroll', { method: 'POST' })).status).toBe(401);

        const enrolled = await call('/v1/auth/mfa/enroll', { body: { enrollmentToken } });
        expect(enrolled.status).toBe(200);
        const { secret, otpauthUri } = enrolled.body as { secret: string; otpauthUri: string };
        secrets.push(secret);
        expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
        const wrong = await call('/v1/auth/mfa/activate', { body: { enrollmentToken, totp: (await generate({ secret })) === '123456' ? '654321' : '123456' } });
        expect((wrong.body as ErrorBody).code).toBe('INVALID_MFA_CODE');
        const activated = await call('/v1/auth/mfa/activate', { body: { enrollmentToken, totp: await generate({ secret }) } });
        expect(activated.status).toBe(200);
        const body = activated.body as Tokens & { recoveryCodes: string[] };
        secrets.push(body.accessToken, body.refreshToken, ...body.recoveryCodes);
        expect(body).toEqual({
          accessToken: expect.any(String),
          refreshToken: expect.any(String),
          expiresIn: 900,
          tokenType: 'Bearer',
          recoveryCodes: expect.arrayContaining([expect.stringMatching(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/)]),
        });
        expect(body.recoveryCodes).toHaveLength(10);
        expect((await call('/v1/roles', { token: body.accessToken })).status).toBe(200);
        const sessions = (await call(`/v1/users/${user.id}/sessions`, { token: adminToken })).body as Array<{ mfa: boolean }>;
        expect(sessions).toEqual([expect.objectContaining({ mfa: true })]);
        // The enrollment token is spent with the activation.
        expect((await call('/v1/auth/mfa/enroll', { body: { enrollmentToken } })).status).toBe(401);
        const stored: Array<{ code_hash: string; salt: string }> = await inspector.query(`SELECT code_hash, salt FROM "${schema}".mfa_recovery_codes WHERE user_id = $1`, [user.id]);
        expect(stored).toHaveLength(10);
        for (const code of body.recoveryCodes) expect(JSON.stringify(stored)).not.toContain(code.replace(/-/g, ''));
      });

      it('then needs a code: none → MFA_REQUIRED, a recovery code once, a wrong code → MfaChallengeFailed', async () => {
        const { username, password, user } = await createUser({ roles: ['security_officer'] });
        const { recoveryCodes, secret, tokens } = await enrolAtLogin(username, password);

        const without = await login(username, password);
        expect(without.status).toBe(401);
        expect(without.body.code).toBe('MFA_REQUIRED');

        const [code] = recoveryCodes;
        const recovered = await loginWithCode(username, password, code);
        expect(recovered.status).toBe(200);
        expect(recovered.body.accessToken).toEqual(expect.any(String));
        const again = await loginWithCode(username, password, code);
        expect(again.status).toBe(401);
        expect(again.body.code).toBe('INVALID_CREDENTIALS');

        const wrong = await loginWithCode(username, password, (await generate({ secret })) === '123456' ? '654321' : '123456');
        expect(wrong.status).toBe(401);
        expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
        const events: Array<{ type: string; data: Record<string, unknown> }> = await inspector.query(
          `SELECT type, data FROM "${schema}".events WHERE data->>'userId' = $1 AND type LIKE 'Mfa%' ORDER BY global_position`,
          [user.id],
        );
        expect(events.map((e) => e.type)).toEqual(['MfaEnabled', 'MfaRecoveryCodesGenerated', 'MfaRecoveryCodeUsed', 'MfaChallengeFailed', 'MfaChallengeFailed']);
        expect(events[2].data).toEqual({ userId: user.id, remaining: 9 });
        expect(events.slice(3).map((e) => e.data.method)).toEqual(['recovery_code', 'totp']);

        // New recovery codes need a current TOTP code (the next step's: the activation spent this one).
        const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
        expect((await call('/v1/auth/mfa/recovery-codes', { token: tokens.accessToken, body: { totp: '000000' } })).status).toBe(400);
        const renewed = await call('/v1/auth/mfa/recovery-codes', { token: tokens.accessToken, body: { totp: next } });
        expect(renewed.status).toBe(200);
        const fresh = (renewed.body as { recoveryCodes: string[] }).recoveryCodes;
        secrets.push(...fresh);
        expect(fresh).toHaveLength(10);
        expect((await loginWithCode(username, password, recoveryCodes[1])).status).toBe(401);
        const withFresh = await loginWithCode(username, password, fresh[0].toUpperCase());
        expect(withFresh.status).toBe(200);
      });
    });
  });

  describe('signing key rotation', () => {
    it('signs with the new key; the old one stays in the JWKS so its tokens still verify', async () => {
      const oldKid = decodeProtectedHeader(adminToken).kid;
      const rotated = await call('/v1/auth/keys/rotate', { method: 'POST', token: adminToken });
      expect(rotated.status).toBe(200);
      const newKid = (rotated.body as { kid: string }).kid;
      expect(newKid).not.toBe(oldKid);
      const jwks = (await call('/.well-known/jwks.json')).body as JSONWebKeySet;
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
      const fresh = (await loginWithCode(adminUsername, adminPassword, adminRecoveryCodes.pop() as string)).body.accessToken;
      expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
      await jwtVerify(fresh, createLocalJWKSet(jwks));
      await jwtVerify(adminToken, createLocalJWKSet(jwks));
      // The guard re-reads the JWKS for the unknown kid (after its short cool-down).
      await expectEventually(async () => expect((await call('/v1/teams', { token: fresh })).status).toBe(200), { timeoutMs: 10_000, intervalMs: 500 });
      expect((await call('/v1/teams', { token: adminToken })).status).toBe(200);
    });
  });

  describe('roles, abilities, grants and decisions', () => {
    type Rule = { action: string[]; subject: string; inverted: boolean; conditions?: Record<string, unknown>; source: { kind: string; id: string } };
    type Ability = { userId: string; policyVersion: number; rules: Rule[]; validUntil: string | null };
    type Grant = { id: string; status: string; userId: string; grantee?: { username: string; displayName: string } | null };
    const reveal = [{ action: 'reveal', subject: 'Customer', conditions: { owner: 'me' } }];
    const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    const tokenOf = async (username: string, password: string) => (await login(username, password)).body.accessToken;
    const abilityOf = async (userId: string, token: string) => {
      const res = await call(`/v1/users/${userId}/ability`, { token });
      expect(res.status).toBe(200);
      return res.body as Ability;
    };
    const newTeam = async (body: Record<string, unknown>) => {
      const res = await call('/v1/teams', { token: adminToken, body: { name: uniqueName('team'), ...body } });
      expect(res.status).toBe(201);
      return (res.body as { id: string }).id;
    };

    it('seeds the default roles once and lists them to any signed-in user', async () => {
      const { username, password } = await createUser();
      const res = await call('/v1/roles', { token: await tokenOf(username, password) });
      expect(res.status).toBe(200);
      const roles = res.body as Array<{ name: string; builtIn: boolean }>;
      for (const name of ['admin', 'security_officer', 'supervisor', 'staff', 'hr', 'auditor', 'partner']) {
        expect(roles).toContainEqual(expect.objectContaining({ name, builtIn: true }));
      }
      const [{ count }]: Array<{ count: string }> = await inspector.query(`SELECT count(*) FROM "${schema}".events WHERE type = 'RoleDefined' AND stream_id = 'role-auditor'`);
      expect(Number(count)).toBe(1);
    });

    it('creates an auditor, and refuses an unknown role with 400', async () => {
      const { user } = await createUser({ roles: ['auditor'] });
      expect(user).toMatchObject({ roles: ['auditor'] });
      const bad = await call('/v1/users', {
        token: adminToken,
        body: { username: uniqueName('user'), password: 'plum-kettle-orbit-42', displayName: 'N', email: 'n@example.com', roles: ['wizard'] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'USER_UNKNOWN_ROLE', message: 'body.roles: unknown role wizard' });
    });

    it('defines a custom role (admin only, validated), assigns it, and bumps holders on a change', async () => {
      const name = `reviewer_${randomInt(0, 1e9)}`;
      const body = { name, description: 'Reads own customers', permissions: [{ action: 'read', subject: 'Customer', conditions: { owner: 'me' } }], mfaRequired: false };
      const staff = await createUser();
      const staffToken = await tokenOf(staff.username, staff.password);
      expect((await call('/v1/roles', { token: staffToken, body })).status).toBe(403);
      const invalid = await call('/v1/roles', { token: adminToken, body: { ...body, permissions: [{ action: 'fly', subject: 'Customer' }] } });
      expect(invalid.status).toBe(400);
      const created = await call('/v1/roles', { token: adminToken, body });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name, builtIn: false, permissions: body.permissions });
      expect((await call('/v1/roles', { token: adminToken, body })).status).toBe(409);

      const holder = await createUser({ roles: [name] });
      const token = await tokenOf(holder.username, holder.password);
      const before = await abilityOf(holder.user.id, token);
      expect(before.rules).toEqual([expect.objectContaining({ action: ['read'], subject: 'Customer', conditions: { ownerId: holder.user.id }, source: { kind: 'role', id: name } })]);
      const { name: _name, ...definition } = body;
      const changed = { ...definition, permissions: [...body.permissions, { action: 'export', subject: 'Customer', conditions: { owner: 'me' } }] };
      const put = await call(`/v1/roles/${name}`, { method: 'PUT', token: adminToken, body: changed });
      expect(put.status).toBe(200);
      const after = await abilityOf(holder.user.id, token);
      expect(after.policyVersion).toBeGreaterThan(before.policyVersion);
      expect(after.rules.map((r) => r.action)).toEqual([['read'], ['export']]);
      const redis = new Redis(testEnv().redisUrl);
      try {
        expect(Number(await redis.get(`warden:policy-version:${holder.user.id}`))).toBe(after.policyVersion);
      } finally {
        redis.disconnect();
      }
      expect((await call(`/v1/roles/${name}`, { method: 'PUT', token: staffToken, body: definition })).status).toBe(403);
      expect((await call(`/v1/roles/${name}`, { method: 'PUT', token: adminToken, body })).status).toBe(400);
    });

    it("answers a staff user's ability to themself, admin and security officers, not to other users", async () => {
      const staff = await createUser();
      const token = await tokenOf(staff.username, staff.password);
      const ability = await abilityOf(staff.user.id, token);
      expect(ability).toMatchObject({ userId: staff.user.id, policyVersion: expect.any(Number), validUntil: null });
      expect(ability.rules).toEqual([
        expect.objectContaining({
          action: ['read', 'create', 'update'],
          subject: 'Customer',
          conditions: { ownerId: staff.user.id, classification: { in: ['public', 'internal'] } },
          source: { kind: 'role', id: 'staff' },
        }),
        expect.objectContaining({ action: ['export'], subject: 'Customer' }),
      ]);
      expect((await call(`/v1/users/${staff.user.id}/ability`, { token: adminToken })).status).toBe(200);
      const other = await createUser();
      const refused = await call(`/v1/users/${staff.user.id}/ability`, { token: await tokenOf(other.username, other.password) });
      expect(refused.status).toBe(403);
      expect((refused.body as ErrorBody).code).toBe('FORBIDDEN');
    });

    it('grants: request → self-approval 403 → supervisor of a parent team approves → ability → expiry by time → decisions', async () => {
      const supervisor = await createUser({ roles: ['supervisor'] });
      const parent = await newTeam({ supervisorId: supervisor.user.id });
      const child = await newTeam({ parentId: parent });
      const grantee = await createUser({ teamId: child });
      const outsider = await createUser({ roles: ['supervisor'], teamId: await newTeam({}) });
      const granteeToken = await tokenOf(grantee.username, grantee.password);
      const supervisorToken = await tokenOf(supervisor.username, supervisor.password);

      // The supervisor's scope covers their team and its sub-team.
      const supAbility = await abilityOf(supervisor.user.id, supervisorToken);
      const approveRule = supAbility.rules.find((r) => r.action.includes('approve-grant'));
      expect((approveRule?.conditions?.teamId as { in: string[] }).in.sort()).toEqual([child, parent].sort());

      const before = await abilityOf(grantee.user.id, granteeToken);
      const requested = await call('/v1/grants', { token: granteeToken, body: { userId: grantee.user.id, permissions: reveal, reason: 'ticket 42', expiresAt: inSeconds(3600) } });
      expect(requested.status).toBe(201);
      const grant = requested.body as Grant;
      expect(grant).toMatchObject({ status: 'pending', userId: grantee.user.id });
      const tooLong = await call('/v1/grants', { token: granteeToken, body: { userId: grantee.user.id, permissions: reveal, reason: 'x', expiresAt: inSeconds(91 * 86400) } });
      expect(tooLong.body).toMatchObject({ statusCode: 400, code: 'GRANT_INVALID_EXPIRY' });

      const self = await call(`/v1/grants/${grant.id}/approve`, { token: granteeToken, body: {} });
      expect(self.status).toBe(403);
      expect((self.body as ErrorBody).code).toBe('GRANT_SELF_APPROVAL');
      const foreign = await call(`/v1/grants/${grant.id}/approve`, { token: await tokenOf(outsider.username, outsider.password), body: {} });
      expect(foreign.status).toBe(403);
      const pending = (await call(`/v1/grants?status=pending`, { token: supervisorToken })).body as Grant[];
      expect(pending.map((g) => g.id)).toContain(grant.id);
      // The approver sees who asked by name (a supervisor may not read the user directory).
      expect(pending.find((g) => g.id === grant.id)).toMatchObject({ grantee: { username: grantee.username, displayName: expect.any(String) } });
      expect((await call(`/v1/users/${grantee.user.id}`, { token: supervisorToken })).status).toBe(403);
      const approved = await call(`/v1/grants/${grant.id}/approve`, { token: supervisorToken, body: { comment: 'ok for the ticket' } });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'active', decidedBy: supervisor.user.id });

      const withGrant = await abilityOf(grantee.user.id, granteeToken);
      expect(withGrant.policyVersion).toBeGreaterThan(before.policyVersion);
      expect(withGrant.rules).toContainEqual(expect.objectContaining({ action: ['reveal'], source: { kind: 'grant', id: grant.id } }));
      expect(withGrant.validUntil).not.toBeNull();

      const decisions = await call('/v1/decisions', {
        token: granteeToken,
        body: {
          decisions: [
            { subject: 'Customer', action: 'reveal', resource: { ownerId: grantee.user.id } },
            { subject: 'Customer', action: 'reveal', resource: { ownerId: outsider.user.id } },
            { subject: 'Customer', action: 'read', resource: { ownerId: grantee.user.id, classification: 'internal' } },
            { subject: 'AuditLog', action: 'view-audit' },
          ],
        },
      });
      expect(decisions.status).toBe(200);
      const results = (decisions.body as { results: Array<{ allowed: boolean; fieldLevels?: Record<string, string> }> }).results;
      expect(results.map((r) => r.allowed)).toEqual([true, false, true, false]);
      expect(results[2].fieldLevels).toMatchObject({ mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked', ownerId: 'clear' });
      const tooMany = await call('/v1/decisions', { token: granteeToken, body: { decisions: Array.from({ length: 101 }, () => ({ subject: 'Customer', action: 'read' })) } });
      expect(tooMany.status).toBe(400);

      // Each decision reads the policy version; the evaluator built for it is reused, but never
      // past a change or a grant's expiry.
      const allowed = async (action: string, ownerId: string) =>
        ((await call('/v1/decisions', { token: granteeToken, body: { decisions: [{ subject: 'Customer', action, resource: { ownerId } }] } }))
          .body as { results: Array<{ allowed: boolean }> }).results[0].allowed;
      // Staff export their own customers; another's only with the grant below.
      expect(await allowed('export', outsider.user.id)).toBe(false);

      // A grant that expires 2 s after its request: gone from the ability by time, sweeper or not.
      const short = (await call('/v1/grants', { token: granteeToken, body: { userId: grantee.user.id, permissions: [{ action: 'export', subject: 'Customer' }], reason: 'brief', expiresAt: inSeconds(2) } })).body as Grant;
      expect((await call(`/v1/grants/${short.id}/approve`, { token: supervisorToken, body: {} })).status).toBe(200);
      expect((await abilityOf(grantee.user.id, granteeToken)).rules).toContainEqual(expect.objectContaining({ source: { kind: 'grant', id: short.id } }));
      expect(await allowed('export', outsider.user.id)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await allowed('export', outsider.user.id)).toBe(false);
      const expired = await abilityOf(grantee.user.id, granteeToken);
      expect(expired.rules.map((r) => r.source.id)).not.toContain(short.id);
      expect(expired.rules.map((r) => r.source.id)).toContain(grant.id);

      expect(await allowed('reveal', grantee.user.id)).toBe(true);
      const revoked = await call(`/v1/grants/${grant.id}/revoke`, { token: granteeToken, body: { comment: 'done' } });
      expect(revoked.body).toMatchObject({ status: 'revoked' });
      expect(await allowed('reveal', grantee.user.id)).toBe(false);
      expect((await abilityOf(grantee.user.id, granteeToken)).rules.map((r) => r.source.kind)).toEqual(['role', 'role']);
      const types: Array<{ type: string }> = await inspector.query(`SELECT type FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`, [`grant-${grant.id}`]);
      expect(types.map((t) => t.type)).toEqual(['GrantRequested', 'GrantApproved', 'GrantRevoked']);
    });

    it('departing keeps the sessions; offboarding ends them and is final', async () => {
      const { username, password, user } = await createUser();
      const token = await tokenOf(username, password);
      const patch = (body: unknown) => call(`/v1/users/${user.id}`, { method: 'PATCH', token: adminToken, body });
      expect((await patch({ status: 'departing' })).body).toMatchObject({ status: 'departing' });
      expect((await abilityOf(user.id, token)).rules.length).toBeGreaterThan(0);
      expect((await patch({ status: 'offboarded', statusReason: 'left' })).body).toMatchObject({ status: 'offboarded' });
      expect((await call(`/v1/users/${user.id}/ability`, { token })).status).toBe(401);
      expect((await abilityOf(user.id, adminToken)).rules).toEqual([]);
      expect((await patch({ status: 'active' })).status).toBe(409);
    });
  });

  describe('the trail', () => {
    it('stores and publishes events without any password, token, refresh token or clear e-mail', async () => {
      const rows: Array<{ event_id: string; type: string; data: unknown; actor: unknown }> = await inspector.query(
        `SELECT event_id, type, data, actor FROM "${schema}".events ORDER BY global_position`,
      );
      const types = new Set(rows.map((r) => r.type));
      for (const type of ['MfaEnabled', 'MfaRecoveryCodesGenerated', 'MfaRecoveryCodeUsed', 'MfaChallengeFailed', 'UserCreated', 'TeamCreated', 'LoginSucceeded', 'LoginFailed', 'SessionRevoked', 'TokenRefreshed', 'RefreshTokenReuseDetected', 'UserDisabled']) {
        expect(types).toContain(type);
      }
      const stored = JSON.stringify(rows);
      expect(secrets.length).toBeGreaterThan(20);
      for (const secret of secrets) expect(stored).not.toContain(secret);
      expect(stored).not.toMatch(/\$argon2id\$/);
      for (const email of emails) expect(stored).not.toContain(email);
      const userCreated = rows.filter((r) => r.type === 'UserCreated').map((r) => (r.data as { email: string }).email);
      for (const email of userCreated) expect(email).toMatch(/^.?\*\*\*@/);

      // Denials (`AccessDenied` on `access-*` streams) go to the access topic, everything else to the events topic.
      const streams: Array<{ event_id: string; stream_id: string }> = await inspector.query(`SELECT event_id, stream_id FROM "${schema}".events`);
      const published: string[] = [];
      for (const [topic, access] of [[Topics.events('authorization'), false], [Topics.access, true]] as const) {
        const ids = new Set(streams.filter((r) => isAccessStream(r.stream_id) === access).map((r) => r.event_id));
        if (ids.size === 0) continue;
        const messages = await readTopic(testKafka('e2e-auth-reader'), `${topicPrefix}${topic}`, {
          until: (read) => read.filter((m) => ids.has((JSON.parse(m.value) as { eventId: string }).eventId)).length >= ids.size,
        });
        const seen = new Set(messages.map((m) => (JSON.parse(m.value) as { eventId: string }).eventId));
        expect([...ids].filter((id) => !seen.has(id))).toEqual([]);
        published.push(...messages.map((m) => m.value));
      }
      expect(published.length).toBeGreaterThanOrEqual(rows.length);
      const text = published.join('\n');
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/\$argon2id\$/);
    });
  });
});
