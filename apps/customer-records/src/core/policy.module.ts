import { Logger, Module } from '@nestjs/common';
import { CONFIG, REDIS, createBreaker } from '@warden/platform';
import { PolicyClient, type FetchAbility } from '@warden/security';
import type Redis from 'ioredis';
import type { CustomerRecordsConfig } from './config';

/** How long one ability request may take before it counts as a failure (ms). */
const ABILITY_TIMEOUT_MS = 2000;

/**
 * `GET {AUTHORIZATION_URL}/v1/users/<userId>/ability` with the caller's own bearer token (the
 * authorization service lets a user read their own ability). Anything but a 200 is a failure.
 */
export function httpFetchAbility(authorizationUrl: string): FetchAbility {
  return async (userId, bearerToken) => {
    const res = await fetch(`${authorizationUrl}/v1/users/${encodeURIComponent(userId)}/ability`, {
      headers: { authorization: `Bearer ${bearerToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(ABILITY_TIMEOUT_MS),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`the ability request answered ${res.status}`);
    }
    return res.json();
  };
}

/** The caller's policy per request: `PolicyClient` over Redis and the authorization service. */
@Module({
  providers: [
    {
      provide: PolicyClient,
      inject: [CONFIG, REDIS],
      useFactory: (config: CustomerRecordsConfig, redis: Redis) => {
        const logger = new Logger('PolicyClient');
        const { fire } = createBreaker(httpFetchAbility(config.AUTHORIZATION_URL), {
          name: 'authorization.ability',
          timeout: ABILITY_TIMEOUT_MS + 500,
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
})
export class PolicyModule {}
