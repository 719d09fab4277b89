import { generate } from 'otplib';
import { randomBytes } from 'node:crypto';
import { AuthorizationUnderTest, newIp, type Tokens } from '../test/e2e-client';

type ErrorBody = { statusCode: number; code: string; message: string; error: string };

/**
 * The service's own output, at its most verbose level (trace), while passwords, tokens, refresh
 * tokens, TOTP secrets, recovery codes, enrollment tokens, SCIM tokens and service secrets go over
 * the wire: none of them may appear in it. Also: password change, and unknown user vs wrong password.
 */
describe('authorization: secrets never logged, logins indistinguishable (running app)', () => {
  let auth: AuthorizationUnderTest;
  let log = '';
  const collect = (chunk: Buffer) => {
    log += chunk.toString('utf8');
  };

  beforeAll(async () => {
    auth = await AuthorizationUnderTest.launch('e2e_logs', { LOG_LEVEL: 'trace' });
    // What was printed while booting and enrolling the admin, then everything from now on.
    log = auth.app.output();
    auth.app.process.stdout?.on('data', collect);
    auth.app.process.stderr?.on('data', collect);
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
  });

  const verifications = async (): Promise<number> => {
    const text = await (await fetch(`${auth.url}/metrics`)).text();
    const match = /^warden_password_verifications_total (\d+)/m.exec(text);
    if (!match) throw new Error('warden_password_verifications_total is not exported');
    return Number(match[1]);
  };

  describe('unknown user vs wrong password', () => {
    it('answers the same status, body and code, and verifies one argon2 hash either way (the dummy for the unknown name)', async () => {
      const user = await auth.createUser();
      const before = await verifications();
      const wrong = await auth.call<ErrorBody>('/v1/auth/login', { body: { username: user.username, password: 'not-the-password-123' } });
      const afterWrong = await verifications();
      const unknown = await auth.call<ErrorBody>('/v1/auth/login', { body: { username: `nobody-${randomBytes(6).toString('hex')}`, password: 'not-the-password-123' } });
      const afterUnknown = await verifications();
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      expect(afterWrong - before).toBe(1);
      expect(afterUnknown - afterWrong).toBe(1);
      // And the right password still does one verification and succeeds.
      expect((await auth.login(user.username, user.password)).status).toBe(200);
      expect((await verifications()) - afterUnknown).toBe(1);
    });
  });

  describe('POST /v1/auth/password', () => {
    it('changes the password, revokes the other sessions, keeps this one, records PasswordChanged', async () => {
      const user = await auth.createUser();
      const other = (await auth.login(user.username, user.password)).body;
      const current = (await auth.login(user.username, user.password)).body;
      const newPassword = `new-${randomBytes(12).toString('base64url')}`;
      auth.secrets.push(newPassword);
      const res = await auth.call('/v1/auth/password', { token: current.accessToken, body: { currentPassword: user.password, newPassword } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ sessionsRevoked: 1 });
      expect((await auth.call('/v1/roles', { token: other.accessToken })).status).toBe(401);
      expect((await auth.call('/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(401);
      expect((await auth.call('/v1/roles', { token: current.accessToken })).status).toBe(200);
      expect((await auth.login(user.username, user.password)).status).toBe(401);
      expect((await auth.login(user.username, newPassword)).status).toBe(200);
    });

    it('refuses a wrong current password (401), a weak or unchanged new one (400), a service principal (403)', async () => {
      const user = await auth.createUser();
      const { accessToken } = (await auth.login(user.username, user.password)).body;
      const wrong = await auth.call<ErrorBody>('/v1/auth/password', { token: accessToken, body: { currentPassword: 'nope-nope-nope', newPassword: `x-${randomBytes(12).toString('hex')}` } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
      const weak = await auth.call<ErrorBody>('/v1/auth/password', { token: accessToken, body: { currentPassword: user.password, newPassword: 'short' } });
      expect(weak.status).toBe(400);
      expect(weak.body.code).toBe('WEAK_PASSWORD');
      const same = await auth.call<ErrorBody>('/v1/auth/password', { token: accessToken, body: { currentPassword: user.password, newPassword: user.password } });
      expect(same.status).toBe(400);
      const missing = await auth.call<ErrorBody>('/v1/auth/password', { token: accessToken, body: { currentPassword: user.password } });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toMatch(/body\.newPassword/);
      const service = await auth.serviceToken('exports');
      expect((await auth.call('/v1/auth/password', { token: service, body: { currentPassword: 'a', newPassword: 'b' } })).status).toBe(403);
    });
  });

  describe('the log', () => {
    it('holds none of the secrets of login, refresh, MFA, SCIM, service-token and password flows', async () => {
      // Login, refresh (and reuse), logout.
      const user = await auth.createUser();
      const first = (await auth.login(user.username, user.password)).body;
      const refreshed = await auth.call<Tokens>('/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      auth.secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
      await auth.call('/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      await auth.call('/v1/auth/logout', { method: 'POST', token: refreshed.body.accessToken });
      // A failed login with the password in a malformed body, and with a wrong password.
      await fetch(`${auth.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': newIp() },
        body: `{"username":"${user.username}","password":"${user.password}"`,
      });
      await auth.login(user.username, `${user.password}-wrong`);
      // MFA: voluntary enrolment, a login with a TOTP code, a login with a recovery code, new codes.
      const mfaUser = await auth.createUser();
      const token = (await auth.login(mfaUser.username, mfaUser.password)).body.accessToken;
      const enrolled = await auth.call<{ secret: string; otpauthUri: string }>('/v1/auth/mfa/enroll', { method: 'POST', token });
      auth.secrets.push(enrolled.body.secret);
      const activated = await auth.call<{ recoveryCodes: string[] }>('/v1/auth/mfa/activate', { token, body: { totp: await generate({ secret: enrolled.body.secret }) } });
      expect(activated.status).toBe(200);
      auth.secrets.push(...activated.body.recoveryCodes);
      const withRecovery = await auth.login(mfaUser.username, mfaUser.password, activated.body.recoveryCodes[0]);
      expect(withRecovery.status).toBe(200);
      // SCIM: a provisioning token, users created with a password, a malformed request.
      const scim = await auth.call<{ token: string }>('/v1/scim/tokens', { token: auth.adminToken, body: { name: 'okta' } });
      expect(scim.status).toBe(201);
      auth.secrets.push(scim.body.token);
      const scimPassword = `scim-${randomBytes(12).toString('base64url')}`;
      auth.secrets.push(scimPassword);
      const provisioned = await auth.call('/scim/v2/Users', {
        token: scim.body.token,
        headers: { 'content-type': 'application/scim+json' },
        body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `scim-${randomBytes(4).toString('hex')}@example.com`, password: scimPassword, active: true },
      });
      expect(provisioned.status).toBe(201);
      await auth.call('/scim/v2/Users', { token: `${scim.body.token}x` });
      // Service tokens, right and wrong.
      await auth.serviceToken('audit');
      await auth.call('/v1/auth/service-token', { body: { clientId: 'audit', clientSecret: `${auth.serviceSecrets.audit}x` } });
      // Password change.
      const changed = `changed-${randomBytes(12).toString('base64url')}`;
      auth.secrets.push(changed);
      const mine = (await auth.login(user.username, user.password)).body.accessToken;
      expect((await auth.call('/v1/auth/password', { token: mine, body: { currentPassword: user.password, newPassword: changed } })).status).toBe(200);

      // Give the logger a moment to flush, then scan.
      await new Promise((done) => setTimeout(done, 500));
      expect(log.length).toBeGreaterThan(1000);
      expect(log).toMatch(/"level":(10|"trace")|"msg"/);
      const leaked = auth.secrets.filter((secret) => secret.length >= 8 && log.includes(secret));
      expect(leaked).toEqual([]);
      // Not even the JWT's signature part or the Authorization header in clear.
      expect(log).not.toMatch(/Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
    });
  });
});
