import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TestTokenIssuer } from '@warden/testing';
import { Authenticated, Public, Roles, type RequestWithPrincipal } from '../auth/access.decorators';
import { AuthGuard } from '../auth/auth.guard';
import { JwtVerifier } from '../auth/jwt-verifier';
import type { RevocationStore } from '../auth/revocation';
import { isServicePrincipal, serviceClientIdOf, ServicePrincipals } from './service-principals.decorator';

class Handlers {
  @Public() open(): string {
    return 'open';
  }
  @Authenticated() signedIn(): string {
    return 'any person';
  }
  @Roles('admin') @ServicePrincipals('exports', 'audit') adminOrServices(): string {
    return 'admin or exports/audit';
  }
  @Authenticated() @ServicePrincipals('offboarding') anyoneOrOffboarding(): string {
    return 'any person or offboarding';
  }
}

@Roles('security_officer')
@ServicePrincipals('anomaly-alerting')
class OpenController {
  inherited(): string {
    return 'security officer or anomaly-alerting';
  }
  @ServicePrincipals('exports') overridden(): string {
    return 'security officer or exports';
  }
}

const contextFor = (target: object, handler: string, authorization?: string) => {
  const request = { header: (name: string) => (name === 'authorization' ? authorization : undefined) } as RequestWithPrincipal;
  const context = {
    getType: () => 'http',
    getHandler: () => (target as { prototype: Record<string, unknown> }).prototype[handler],
    getClass: () => target,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
};

describe('Service principals', () => {
  let issuer: TestTokenIssuer;
  let guard: AuthGuard;
  const service = (clientId: string) => issuer.issue({ userId: `system:${clientId}`, username: `system:${clientId}`, roles: ['system'], teamId: null });
  const pass = async (target: object, handler: string, token: string) => guard.canActivate(contextFor(target, handler, `Bearer ${token}`).context);

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    const verifier = new JwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: TestTokenIssuer.issuer, audience: TestTokenIssuer.audience });
    guard = new AuthGuard(new Reflector(), verifier, { check: async () => ({ revoked: false, policyVersion: null }) } as unknown as RevocationStore);
  });
  afterAll(() => issuer.stop());

  it('tells a service principal from a person', () => {
    expect(isServicePrincipal({ userId: 'system:exports' })).toBe(true);
    expect(serviceClientIdOf({ userId: 'system:exports' })).toBe('exports');
    expect(isServicePrincipal({ userId: '0190a0a0-0000-7000-8000-000000000001' })).toBe(false);
    expect(serviceClientIdOf({ userId: '0190a0a0-0000-7000-8000-000000000001' })).toBeNull();
  });

  it('refuses a service on an @Authenticated handler that does not name it (deny by default)', async () => {
    await expect(pass(Handlers, 'signedIn', await service('exports'))).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('admits the named services only', async () => {
    await expect(pass(Handlers, 'adminOrServices', await service('exports'))).resolves.toBe(true);
    await expect(pass(Handlers, 'adminOrServices', await service('audit'))).resolves.toBe(true);
    await expect(pass(Handlers, 'adminOrServices', await service('offboarding'))).rejects.toMatchObject({ status: 403 });
    await expect(pass(Handlers, 'anyoneOrOffboarding', await service('offboarding'))).resolves.toBe(true);
    await expect(pass(Handlers, 'anyoneOrOffboarding', await service('exports'))).rejects.toMatchObject({ status: 403 });
  });

  it('keeps the roles rule for people: @ServicePrincipals opens nothing to them', async () => {
    await expect(pass(Handlers, 'adminOrServices', await issuer.issue({ roles: ['staff'] }))).rejects.toMatchObject({ status: 403 });
    await expect(pass(Handlers, 'adminOrServices', await issuer.issue({ roles: ['admin'] }))).resolves.toBe(true);
    await expect(pass(Handlers, 'anyoneOrOffboarding', await issuer.issue({ roles: ['staff'] }))).resolves.toBe(true);
  });

  it('never lets the role `system` stand in for being a named service', async () => {
    await expect(pass(Handlers, 'adminOrServices', await issuer.issue({ roles: ['system'] }))).rejects.toMatchObject({ status: 403 });
  });

  it('reads the services from the controller, a handler overriding them', async () => {
    await expect(pass(OpenController, 'inherited', await service('anomaly-alerting'))).resolves.toBe(true);
    await expect(pass(OpenController, 'inherited', await service('exports'))).rejects.toMatchObject({ status: 403 });
    await expect(pass(OpenController, 'overridden', await service('exports'))).resolves.toBe(true);
    await expect(pass(OpenController, 'overridden', await service('anomaly-alerting'))).rejects.toMatchObject({ status: 403 });
  });

  it('lets a public handler through for anyone, as before', async () => {
    await expect(guard.canActivate(contextFor(Handlers, 'open').context)).resolves.toBe(true);
  });
});
