import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from './principal';

export const ACCESS_RULE = 'warden:access-rule';

/**
 * How a handler (or a whole controller) may be reached. Every HTTP handler declares one; a lint
 * rule (`warden/require-access-rule`) fails a handler without, and the guard refuses it at run time.
 */
export type AccessRule = { kind: 'public' } | { kind: 'authenticated' } | { kind: 'roles'; roles: string[] };

/** Reachable without a token (login, JWKS, health). */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);

/** Any valid, unrevoked access token; finer checks happen against the caller's ability. */
export const Authenticated = () => SetMetadata(ACCESS_RULE, { kind: 'authenticated' } satisfies AccessRule);

/** A valid token whose roles include at least one of `roles`. */
export const Roles = (...roles: string[]) => SetMetadata(ACCESS_RULE, { kind: 'roles', roles } satisfies AccessRule);

export type RequestWithPrincipal = Request & { principal?: Principal };

/** The verified principal of the request (handlers behind `@Authenticated()` or `@Roles()`). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a handler without authentication');
  return principal;
});
