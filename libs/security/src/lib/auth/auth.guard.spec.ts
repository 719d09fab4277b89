import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TestTokenIssuer } from '@warden/testing';
import { Authenticated, Public, Roles, type RequestWithPrincipal } from './access.decorators';
import { AuthGuard } from './auth.guard';
import { JwtVerifier } from './jwt-verifier';
import type { RevocationStore } from './revocation';

class Handlers {
  @Public() open(): string {
    return 'open';
  }
  @Authenticated() signedIn(): string {
    return 'signed in';
  }
  @Roles('admin', 'security_officer') adminOnly(): string {
    return 'admin';
  }
  undeclared(): string {
    return 'undeclared';
  }
}

const contextFor = (handler: keyof Handlers, authorization?: string) => {
  const request = { header: (name: string) => (name === 'authorization' ? authorization : undefined) } as RequestWithPrincipal;
  const context = {
    getType: () => 'http',
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
};

describe('AuthGuard', () => {
  let issuer: TestTokenIssuer;
  let revoked: boolean | Error;
  let guard: AuthGuard;

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    const verifier = new JwtVerifier({
      jwksUrl: issuer.jwksUrl,
      issuer: TestTokenIssuer.issuer,
      audience: TestTokenIssuer.audience,
    });
    const revocations = {
      check: async () => {
        if (revoked instanceof Error) throw revoked;
        return { revoked, policyVersion: '7' };
      },
    } as unknown as RevocationStore;
    guard = new AuthGuard(new Reflector(), verifier, revocations);
  });
  afterAll(() => issuer.stop());
  beforeEach(() => {
    revoked = false;
  });

  it('lets a public handler through without a token', async () => {
    await expect(guard.canActivate(contextFor('open').context)).resolves.toBe(true);
  });

  it('refuses a handler that declares no access rule, even with a valid token', async () => {
    const { context } = contextFor('undeclared', `Bearer ${await issuer.issue()}`);
    await expect(guard.canActivate(context)).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('requires a bearer token', async () => {
    await expect(guard.canActivate(contextFor('signedIn').context)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(guard.canActivate(contextFor('signedIn', 'Basic abc').context)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('sets the principal from a valid token', async () => {
    const { context, request } = contextFor('signedIn', `Bearer ${await issuer.issue({ userId: 'u-1', roles: ['staff'] })}`);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.principal).toMatchObject({ userId: 'u-1', roles: ['staff'] });
  });

  it("hands on the user's policy version read with the revocation markers", async () => {
    const { context, request } = contextFor('signedIn', `Bearer ${await issuer.issue({ userId: 'u-2' })}`);
    await guard.canActivate(context);
    expect(request.principal?.policyVersionAtAuth).toEqual({ userId: 'u-2', raw: '7' });
  });

  it('refuses a revoked session', async () => {
    revoked = true;
    const { context } = contextFor('signedIn', `Bearer ${await issuer.issue()}`);
    await expect(guard.canActivate(context)).rejects.toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
  });

  it('fails closed with a 503 when revocation cannot be checked', async () => {
    revoked = new Error('redis down');
    const { context } = contextFor('signedIn', `Bearer ${await issuer.issue()}`);
    await expect(guard.canActivate(context)).rejects.toMatchObject({ status: 503, code: 'AUTH_UNAVAILABLE' });
  });

  it('checks roles', async () => {
    const staff = contextFor('adminOnly', `Bearer ${await issuer.issue({ roles: ['staff'] })}`);
    await expect(guard.canActivate(staff.context)).rejects.toMatchObject({ status: 403 });
    const officer = contextFor('adminOnly', `Bearer ${await issuer.issue({ roles: ['security_officer'] })}`);
    await expect(guard.canActivate(officer.context)).resolves.toBe(true);
  });

  it('refuses tokens signed by another key or naming an unknown kid', async () => {
    const other = await TestTokenIssuer.start();
    try {
      const { context } = contextFor('signedIn', `Bearer ${await other.issue()}`);
      await expect(guard.canActivate(context)).rejects.toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    } finally {
      await other.stop();
    }
  });
});
