import { Inject, Injectable } from '@nestjs/common';
import type { ServiceTokenRefusedData } from '@warden/contracts';
import { EventStore, type CommandMetadata } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import { SERVICE_PRINCIPAL_PREFIX, SYSTEM_ROLE } from '@warden/security';
import type Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { AuthError, AuthErrorCode } from '../auth/auth.exception';
import { LoginThrottle, usernameHash } from '../auth/login-throttle';
import type { AuthorizationConfig } from '../core/config';
import { withActor } from '../core/request-metadata';
import { AUTH_CONFIG } from '../core/tokens';
import { AccessTokenService } from '../signing-keys/access-token.service';
import { authenticateClient } from './service-clients.util';
import type { ServiceTokenBody, ServiceTokenResponse } from './service-token.dto';

/** Lifetime of a service token: short, the client fetches a new one before it ends. */
export const SERVICE_TOKEN_TTL_SECONDS = 300;

export const invalidClient = (): AuthError => new AuthError(AuthErrorCode.InvalidClient, 'invalid client id or secret');

/**
 * Client credentials for Warden's own services: a configured client (`WARDEN_SERVICE_CLIENTS`)
 * gets a 5-minute EdDSA access token as `system:<clientId>` (role `system`, a fresh `sid`, no
 * team). Failures are counted like logins: per client id (lockout, 423) and per IP (429).
 */
@Injectable()
export class ServiceTokenService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly store: EventStore,
    private readonly tokens: AccessTokenService,
    @Inject(REDIS) redis: Redis,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
  ) {
    this.throttle = new LoginThrottle(redis, {
      maxFailures: config.LOGIN_MAX_FAILURES,
      lockoutBaseSeconds: config.LOGIN_LOCKOUT_BASE_SECONDS,
      lockoutMaxSeconds: config.LOGIN_LOCKOUT_MAX_SECONDS,
      ipMaxFailures: config.LOGIN_IP_MAX_FAILURES,
      ipWindowSeconds: config.LOGIN_IP_WINDOW_SECONDS,
    });
  }

  async issue(body: ServiceTokenBody, metadata: CommandMetadata): Promise<ServiceTokenResponse> {
    const ip = metadata.actor.ip ?? 'unknown';
    // Counted apart from user names: a client id is never confused with a user called the same.
    const nameHash = usernameHash(`service-client:${body.clientId}`);
    const known = this.config.WARDEN_SERVICE_CLIENTS.some((client) => client.clientId === body.clientId) ? body.clientId : null;
    const ipWait = await this.throttle.ipRetryAfter(ip);
    if (ipWait > 0) {
      await this.recordRefusal(known, 'rate_limited', metadata);
      throw new AuthError(AuthErrorCode.RateLimited, 'too many failed attempts from this address; try again later', ipWait);
    }
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) {
      await this.recordRefusal(known, 'locked', metadata);
      throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed attempts: this client is locked for a while', locked);
    }
    const client = authenticateClient(this.config.WARDEN_SERVICE_CLIENTS, body.clientId, body.clientSecret);
    if (!client) {
      await this.throttle.recordFailure(nameHash, ip);
      await this.recordRefusal(known, 'bad_credentials', metadata);
      throw invalidClient();
    }
    await this.throttle.recordSuccess(nameHash);

    const principal = `${SERVICE_PRINCIPAL_PREFIX}${client.clientId}`;
    const sessionId = uuidv7();
    const expiresAt = new Date(Math.floor(metadata.now.getTime() / 1000) * 1000 + SERVICE_TOKEN_TTL_SECONDS * 1000);
    await this.store.append(
      `service-token-${sessionId}`,
      [{ type: 'ServiceTokenIssued', data: { clientId: client.clientId, sessionId, expiresAt: expiresAt.toISOString() } }],
      { expectedVersion: 0, metadata: withActor(metadata, principal, sessionId) },
    );
    const accessToken = await this.tokens.issue(
      { userId: principal, sessionId, username: principal, roles: [SYSTEM_ROLE], teamId: null },
      metadata.now,
      SERVICE_TOKEN_TTL_SECONDS,
    );
    return { accessToken, expiresIn: SERVICE_TOKEN_TTL_SECONDS, tokenType: 'Bearer' };
  }

  /** ServiceTokenRefused on a stream of its own (one per attempt: attempts never contend). */
  private async recordRefusal(clientId: string | null, reason: ServiceTokenRefusedData['reason'], metadata: CommandMetadata): Promise<void> {
    await this.store.append(`service-token-refusal-${uuidv7()}`, [{ type: 'ServiceTokenRefused', data: { clientId, reason } }], {
      expectedVersion: 0,
      metadata,
    });
  }
}
