import { JwtVerifier } from '@warden/security';
import { connectTestSchema, dropTestSchema } from '@warden/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { generate } from 'otplib';
import type { DataSource } from 'typeorm';
import { AuthorizationUnderTest, type Tokens } from '../test/e2e-client';

type ErrorBody = { code: string; message: string; statusCode: number };
type StepUp = { stepUpToken: string; expiresIn: number };

const seconds = (): number => Math.floor(Date.now() / 1000);
/** A code of the next 30-second step: accepted (±1 step) and never the step enrolment or login just used. */
const nextCode = (secret: string): Promise<string> => generate({ secret, epoch: seconds() + 30 });
/** A code of ten minutes ago: well outside the tolerance. */
const staleCode = (secret: string): Promise<string> => generate({ secret, epoch: seconds() - 600 });

describe('POST /v1/auth/step-up (running app)', () => {
  let auth: AuthorizationUnderTest;
  let db: DataSource;

  /** A staff user who enrolled TOTP voluntarily, signed in with a session. */
  const enrolledUser = async (): Promise<{ id: string; username: string; password: string; secret: string; tokens: Tokens }> => {
    const user = await auth.createUser();
    const login = await auth.login(user.username, user.password);
    const token = login.body.accessToken;
    const enrolled = await auth.call<{ secret: string }>('/v1/auth/mfa/enroll', { token, body: {} });
    expect(enrolled.status).toBe(200);
    const secret = enrolled.body.secret;
    auth.secrets.push(secret);
    const activated = await auth.call<{ recoveryCodes: string[] }>('/v1/auth/mfa/activate', { token, body: { totp: await generate({ secret }) } });
    expect(activated.status).toBe(200);
    auth.secrets.push(...activated.body.recoveryCodes);
    return { ...user, secret, tokens: login.body };
  };

  const stepUp = (token: string, totp: string) => auth.call<StepUp & ErrorBody>('/v1/auth/step-up', { token, body: { totp } });

  const eventsOf = async (type: string, userId: string): Promise<Array<{ data: Record<string, unknown> }>> =>
    db.query(`SELECT data FROM "${auth.schema}".events WHERE type = $1 AND data->>'userId' = $2 ORDER BY global_position`, [type, userId]);

  beforeAll(async () => {
    auth = await AuthorizationUnderTest.launch('e2e_stepup', { LOGIN_MAX_FAILURES: '3' });
    db = await connectTestSchema(auth.schema, 'e2e-stepup');
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
    await dropTestSchema(db, auth.schema);
  });

  it('issues a 5-minute proof that the exports StepUpVerifier accepts (JWKS, issuer, audience, sub, sid)', async () => {
    const user = await enrolledUser();
    const res = await stepUp(user.tokens.accessToken, await nextCode(user.secret));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ stepUpToken: expect.any(String), expiresIn: 300 });
    auth.secrets.push(res.body.stepUpToken);

    // What apps/exports/src/core/step-up.verifier.ts does: the shared JwtVerifier with the JWKS URL,
    // the platform's AUTH_ISSUER and the audience `warden-step-up`, then subject, session and age.
    const verifier = new JwtVerifier({ jwksUrl: `${auth.url}/.well-known/jwks.json`, issuer: 'warden-authorization', audience: 'warden-step-up' });
    const proof = await verifier.verify(res.body.stepUpToken);
    const session = decodeJwt(user.tokens.accessToken).sid;
    expect(proof.userId).toBe(user.id);
    expect(proof.sessionId).toBe(session);
    expect(Math.abs(seconds() - proof.issuedAt)).toBeLessThan(60);
    const claims = decodeJwt(res.body.stepUpToken);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(claims.aud).toBe('warden-step-up');
    const jwks = (await auth.call<{ keys: Array<{ kid: string }> }>('/.well-known/jwks.json')).body;
    expect(jwks.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(res.body.stepUpToken).kid);

    // The audiences never mix: an access token is no proof, and a proof is no access token.
    await expect(verifier.verify(user.tokens.accessToken)).rejects.toThrow();
    expect((await auth.call('/v1/roles', { token: res.body.stepUpToken })).status).toBe(401);

    const recorded = await eventsOf('StepUpSucceeded', user.id);
    expect(recorded).toEqual([{ data: { userId: user.id, sessionId: session, expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString() } }]);
    const stored = JSON.stringify(await db.query(`SELECT data, actor FROM "${auth.schema}".events WHERE data->>'userId' = $1`, [user.id]));
    expect(stored).not.toContain(res.body.stepUpToken);
    expect(stored).not.toContain(user.secret);
  });

  it('refuses a user without an enrolled authenticator: 403 STEP_UP_MFA_NOT_ENROLLED', async () => {
    const user = await auth.createUser();
    const { body } = await auth.login(user.username, user.password);
    const res = await stepUp(body.accessToken, '123456');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('STEP_UP_MFA_NOT_ENROLLED');
    expect((await eventsOf('StepUpFailed', user.id)).map((e) => e.data.reason)).toEqual(['mfa_not_enrolled']);
  });

  it('refuses a recovery code and a reused code', async () => {
    const user = await auth.createUser();
    const login = await auth.login(user.username, user.password);
    const token = login.body.accessToken;
    const { secret } = (await auth.call<{ secret: string }>('/v1/auth/mfa/enroll', { token, body: {} })).body;
    auth.secrets.push(secret);
    const { recoveryCodes } = (await auth.call<{ recoveryCodes: string[] }>('/v1/auth/mfa/activate', { token, body: { totp: await generate({ secret }) } })).body;
    auth.secrets.push(...recoveryCodes);
    const recovery = await stepUp(token, recoveryCodes[0]);
    expect(recovery.status).toBe(400);
    expect(recovery.body.message).toMatch(/body\.totp/);
    const code = await nextCode(secret);
    expect((await stepUp(token, code)).status).toBe(200);
    const reused = await stepUp(token, code);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('STEP_UP_INVALID_CODE');
  });

  it('answers a wrong code with 401, records StepUpFailed, and locks the name (step-up and login) after the limit', async () => {
    const user = await enrolledUser();
    for (let i = 0; i < 3; i++) {
      const wrong = await stepUp(user.tokens.accessToken, await staleCode(user.secret));
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('STEP_UP_INVALID_CODE');
    }
    const locked = await stepUp(user.tokens.accessToken, await nextCode(user.secret));
    expect(locked.status).toBe(423);
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
    const login = await auth.login(user.username, user.password, await nextCode(user.secret));
    expect(login.status).toBe(423);
    expect((await eventsOf('StepUpFailed', user.id)).map((e) => e.data.reason)).toEqual(['bad_code', 'bad_code', 'bad_code', 'locked']);
    expect((await eventsOf('StepUpSucceeded', user.id)).length).toBe(0);
  });

  it('is for people only: a service principal gets 403, no token 401', async () => {
    const service = await auth.serviceToken('exports');
    expect((await stepUp(service, '123456')).status).toBe(403);
    expect((await auth.call('/v1/auth/step-up', { body: { totp: '123456' } })).status).toBe(401);
  });
});
