import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, AuthGuard, JwtVerifier, RevocationStore, type AccessRule } from '@warden/security';
import type { Request } from 'express';

/** A Reflector that answers "any valid token" for every handler: the platform guard's own checks, reused as they are. */
class AuthenticatedRule extends Reflector {
  override getAllAndOverride<T>(key: unknown): T {
    // Only the access rule: no service principal is named here, so none passes.
    return (key === ACCESS_RULE ? ({ kind: 'authenticated' } satisfies AccessRule) : undefined) as T;
  }
}

/**
 * The MFA enrolment endpoints (`@Public()` for the platform guard) are reached in one of two ways:
 * with an `enrollmentToken` in the body (a login that must enrol first; the service checks the
 * token and answers 401 INVALID_ENROLLMENT_TOKEN for a bad one), or else with a valid, unrevoked
 * access token, exactly as the platform's `AuthGuard` checks it for `@Authenticated()`.
 */
@Injectable()
export class MfaEnrollmentGuard implements CanActivate {
  private readonly authenticated: AuthGuard;

  constructor(verifier: JwtVerifier, revocations: RevocationStore) {
    this.authenticated = new AuthGuard(new AuthenticatedRule(), verifier, revocations);
  }

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const body = context.switchToHttp().getRequest<Request>().body as unknown;
    if (typeof body === 'object' && body !== null && typeof (body as { enrollmentToken?: unknown }).enrollmentToken === 'string') return true;
    return this.authenticated.canActivate(context);
  }
}
