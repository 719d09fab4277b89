import { SetMetadata } from '@nestjs/common';
import type { Principal } from '../auth/principal';

export const SERVICE_PRINCIPALS = 'warden:service-principals';

/** The `sub` (and `username`) prefix of a service's access token: `system:<clientId>`. */
export const SERVICE_PRINCIPAL_PREFIX = 'system:';

/** The single role a service token carries. */
export const SYSTEM_ROLE = 'system';

/** Whether the principal is a service (client credentials), not a person. */
export const isServicePrincipal = (principal: Pick<Principal, 'userId'>): boolean =>
  principal.userId.startsWith(SERVICE_PRINCIPAL_PREFIX);

/** `exports` for `system:exports`; `null` for a person. */
export const serviceClientIdOf = (principal: Pick<Principal, 'userId'>): string | null =>
  isServicePrincipal(principal) ? principal.userId.slice(SERVICE_PRINCIPAL_PREFIX.length) : null;

/**
 * Opens a handler (or a controller) to the named services' principals (`system:<clientId>`), used
 * together with `@Roles(...)` or `@Authenticated()`, which keep saying who else may call. Deny by
 * default: the guard refuses a service principal on every handler that does not name its service,
 * and the roles of `@Roles` never admit one.
 *
 *     @Get(':id')
 *     @Roles('admin')
 *     @ServicePrincipals('exports', 'offboarding')
 */
export const ServicePrincipals = (...clientIds: string[]) => SetMetadata(SERVICE_PRINCIPALS, clientIds);
