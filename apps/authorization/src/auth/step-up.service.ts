import { Inject, Injectable } from '@nestjs/common';
import type { StepUpEvent, StepUpFailedData } from '@warden/contracts';
import { EventStore, type CommandMetadata } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import type { Principal } from '@warden/security';
import type Redis from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG } from '../core/tokens';
import { MfaService } from '../mfa/mfa.service';
import { AccessTokenService, STEP_UP_TTL_SECONDS } from '../signing-keys/access-token.service';
import { AuthError, AuthErrorCode } from './auth.exception';
import { LoginThrottle, usernameHash } from './login-throttle';

export type StepUpResponse = { stepUpToken: string; expiresIn: number };

/**
 * `POST /v1/auth/step-up`: a signed-in person proves a fresh TOTP code (never a recovery code) and
 * gets a 5-minute proof bound to their session, which sensitive approvals (exports of clear
 * sensitive fields) require. A wrong code counts as a failed login of the name (lockout and IP
 * limit); a locked name gets 423 here as at login. Every attempt is recorded (StepUpSucceeded /
 * StepUpFailed, no code, no token) on a stream of its own.
 */
@Injectable()
export class StepUpService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly store: EventStore,
    private readonly mfa: MfaService,
    private readonly tokens: AccessTokenService,
    @Inject(REDIS) redis: Redis,
    @Inject(AUTH_CONFIG) config: AuthorizationConfig,
  ) {
    this.throttle = new LoginThrottle(redis, {
      maxFailures: config.LOGIN_MAX_FAILURES,
      lockoutBaseSeconds: config.LOGIN_LOCKOUT_BASE_SECONDS,
      lockoutMaxSeconds: config.LOGIN_LOCKOUT_MAX_SECONDS,
      ipMaxFailures: config.LOGIN_IP_MAX_FAILURES,
      ipWindowSeconds: config.LOGIN_IP_WINDOW_SECONDS,
    });
  }

  async stepUp(principal: Principal, totp: string, metadata: CommandMetadata): Promise<StepUpResponse> {
    const nameHash = usernameHash(principal.username);
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) {
      await this.recordFailure(principal, 'locked', metadata);
      throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed attempts: this account is locked for a while', locked);
    }
    if (!(await this.mfa.isEnabled(principal.userId))) {
      await this.recordFailure(principal, 'mfa_not_enrolled', metadata);
      throw new AuthError(
        AuthErrorCode.StepUpMfaNotEnrolled,
        'step-up needs two-factor authentication: enrol an authenticator first (POST /v1/auth/mfa/enroll, then /v1/auth/mfa/activate)',
      );
    }
    if (!(await this.mfa.verifyLogin(principal.userId, totp, metadata.now))) {
      await this.throttle.recordFailure(nameHash, metadata.actor.ip ?? 'unknown');
      await this.recordFailure(principal, 'bad_code', metadata);
      throw new AuthError(AuthErrorCode.StepUpInvalidCode, 'the TOTP code is not valid (wrong, expired or already used)');
    }
    const stepUpToken = await this.tokens.issueStepUp(principal, metadata.now);
    const expiresAt = new Date((Math.floor(metadata.now.getTime() / 1000) + STEP_UP_TTL_SECONDS) * 1000).toISOString();
    await this.record({ type: 'StepUpSucceeded', data: { userId: principal.userId, sessionId: principal.sessionId, expiresAt } }, metadata);
    return { stepUpToken, expiresIn: STEP_UP_TTL_SECONDS };
  }

  private recordFailure(principal: Principal, reason: StepUpFailedData['reason'], metadata: CommandMetadata): Promise<void> {
    return this.record({ type: 'StepUpFailed', data: { userId: principal.userId, sessionId: principal.sessionId, reason } }, metadata);
  }

  private async record(event: StepUpEvent, metadata: CommandMetadata): Promise<void> {
    await this.store.append(`step-up-${uuidv7()}`, [event], { expectedVersion: 0, metadata });
  }
}
