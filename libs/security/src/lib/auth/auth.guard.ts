import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule, type RequestWithPrincipal } from './access.decorators';
import { AuthUnavailableError, ForbiddenError, TokenRevokedError, UnauthenticatedError } from './auth.errors';
import type { JwtVerifier } from './jwt-verifier';
import type { RevocationStore } from './revocation';
import { SERVICE_PRINCIPALS, serviceClientIdOf } from '../service-token/service-principals.decorator';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/**
 * The global guard of every service: a handler is reached only as its access rule says. Deny by
 * default: a handler that declares no rule is refused; a token is checked for signature, expiry,
 * issuer, audience and against the revocation markers on every request; when the markers cannot
 * be read the request is refused (503), never let through. A service principal (`system:<id>`)
 * passes only a handler that names its service with `@ServicePrincipals(...)`.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: JwtVerifier,
    private readonly revocations: RevocationStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) throw new ForbiddenError('this endpoint declares no access rule');
    if (rule.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const match = BEARER.exec(request.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    const principal = await this.verifier.verify(match[1]);

    let state: { revoked: boolean; policyVersion: string | null };
    try {
      state = await this.revocations.check(principal.sessionId, principal.userId, principal.issuedAt);
    } catch {
      throw new AuthUnavailableError('session revocation cannot be checked right now');
    }
    if (state.revoked) throw new TokenRevokedError();

    const service = serviceClientIdOf(principal);
    if (service !== null) {
      // A service principal passes only where the handler names its service (@ServicePrincipals).
      const services = this.reflector.getAllAndOverride<unknown>(SERVICE_PRINCIPALS, [context.getHandler(), context.getClass()]);
      if (!Array.isArray(services) || !services.includes(service)) {
        throw new ForbiddenError(`this endpoint is not open to the service ${service}`);
      }
    } else if (rule.kind === 'roles' && !rule.roles.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenError(`requires one of the roles: ${rule.roles.join(', ')}`);
    }
    request.principal = { ...principal, policyVersionAtAuth: { userId: principal.userId, raw: state.policyVersion } };
    return true;
  }
}
