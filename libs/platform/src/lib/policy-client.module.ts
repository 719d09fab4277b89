import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { PolicyClient, type FetchAbility } from '@warden/security';
import type Redis from 'ioredis';
import { createBreaker } from './circuit-breaker';
import type { BaseConfig } from './config';
import { CONFIG, REDIS } from './tokens';

/** How long one ability request may take before it counts as a failure (ms), unless the service says otherwise. */
const DEFAULT_ABILITY_TIMEOUT_MS = 2000;

export type PolicyClientModuleOptions<C extends BaseConfig> = {
  /** The authorization service's base URL (no trailing slash), read from the service's config. */
  authorizationUrl: (config: C) => string;
  /** How long one ability request may take before it counts as a failure (ms); default 2000. */
  abilityTimeoutMs?: number;
};

/**
 * `GET {authorizationUrl}/v1/users/<userId>/ability` with the caller's own bearer token (the
 * authorization service lets a user read their own ability). Anything but a 200 is a failure.
 */
export function httpFetchAbility(authorizationUrl: string, timeoutMs = DEFAULT_ABILITY_TIMEOUT_MS): FetchAbility {
  return async (userId, bearerToken) => {
    const res = await fetch(`${authorizationUrl}/v1/users/${encodeURIComponent(userId)}/ability`, {
      headers: { authorization: `Bearer ${bearerToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`the ability request answered ${res.status}`);
    }
    return res.json();
  };
}

/**
 * The caller's policy per request: `PolicyClient` over the service's Redis (`REDIS`) and the
 * authorization service (behind the `authorization.ability` breaker). Needs
 * `PlatformModule.forService` (for `CONFIG` and `REDIS`); import it once per service, in the module
 * that exports it to the others, so the service holds one client.
 */
@Module({})
export class PolicyClientModule {
  static forService<C extends BaseConfig>(options: PolicyClientModuleOptions<C>): DynamicModule {
    const timeoutMs = options.abilityTimeoutMs ?? DEFAULT_ABILITY_TIMEOUT_MS;
    return {
      module: PolicyClientModule,
      providers: [
        {
          provide: PolicyClient,
          inject: [CONFIG, REDIS],
          useFactory: (config: C, redis: Redis) => {
            const logger = new Logger('PolicyClient');
            const { fire } = createBreaker(httpFetchAbility(options.authorizationUrl(config), timeoutMs), {
              name: 'authorization.ability',
              timeout: timeoutMs + 500,
            });
            return new PolicyClient({
              redis,
              fetchAbility: fire,
              onWarning: (message, error) => logger.warn({ err: error.message }, message),
            });
          },
        },
      ],
      exports: [PolicyClient],
    };
  }
}
