import { TestTokenIssuer } from '@warden/testing';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { InvalidTokenError } from './auth.errors';
import { JwtVerifier } from './jwt-verifier';

describe('JwtVerifier', () => {
  let issuer: TestTokenIssuer;
  let remote: JWTVerifyGetKey;
  let lookups: number;
  let clock: number;

  const verifier = (options: { cacheMaxEntries?: number; cacheTtlMs?: number } = {}) =>
    new JwtVerifier({
      jwksUrl: issuer.jwksUrl,
      issuer: TestTokenIssuer.issuer,
      audience: TestTokenIssuer.audience,
      // Counts the signature checks: jose asks the key set for the key on each one.
      keySet: (header, token) => {
        lookups += 1;
        return remote(header, token);
      },
      now: () => clock,
      ...options,
    });

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    remote = createRemoteJWKSet(new URL(issuer.jwksUrl));
  });
  afterAll(() => issuer.stop());
  beforeEach(() => {
    lookups = 0;
    clock = Date.now();
  });

  it('checks a token once and then remembers it for the cache lifetime', async () => {
    const v = verifier();
    const token = await issuer.issue({ userId: 'u-1', roles: ['staff'] });
    const first = await v.verify(token);
    expect(first).toMatchObject({ userId: 'u-1', roles: ['staff'] });
    first.roles.push('admin');
    clock += 59_000;
    expect(await v.verify(token)).toMatchObject({ userId: 'u-1', roles: ['staff'] });
    expect(lookups).toBe(1);
    clock += 2_000;
    await v.verify(token);
    expect(lookups).toBe(2);
  });

  it('refuses a remembered token once it expires', async () => {
    const v = verifier();
    const token = await issuer.issue({ expiresIn: 30 });
    await v.verify(token);
    clock += 31_000;
    await expect(v.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('checks a tampered copy of a remembered token, and refuses it', async () => {
    const v = verifier();
    const token = await issuer.issue({ roles: ['staff'] });
    await v.verify(token);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { roles: string[] };
    claims.roles = ['admin'];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(v.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(lookups).toBe(2);
  });

  it('does not remember a refusal', async () => {
    const v = verifier();
    const token = await issuer.issue({ audience: 'someone-else' });
    await expect(v.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(v.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(lookups).toBe(2);
  });

  it('drops the least recently used token beyond its capacity, and remembers nothing at 0', async () => {
    const v = verifier({ cacheMaxEntries: 2 });
    const [a, b, c] = await Promise.all([issuer.issue(), issuer.issue(), issuer.issue()]);
    await v.verify(a);
    await v.verify(b);
    await v.verify(a);
    await v.verify(c);
    expect(lookups).toBe(3);
    await v.verify(a);
    expect(lookups).toBe(3);
    await v.verify(b);
    expect(lookups).toBe(4);

    const none = verifier({ cacheMaxEntries: 0 });
    await none.verify(a);
    await none.verify(a);
    expect(lookups).toBe(6);
  });
});
