import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import type { Principal } from '@warden/security';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG } from '../core/tokens';
import { SessionService } from '../sessions/session.service';
import { PasswordHasher } from '../users/password.hasher';
import { passwordProblem } from '../users/password.policy';
import { decide, evolve, initialUserState } from '../users/user.decider';
import { UserError, UserErrorCode } from '../users/user.exception';
import { userStreamId } from '../users/user.service';
import { AuthError, AuthErrorCode } from './auth.exception';
import { LoginThrottle, usernameHash } from './login-throttle';

const userDecider = { initialState: initialUserState, decide, evolve };

/**
 * `POST /v1/auth/password`: the signed-in user changes their password. The current password is
 * checked like a login (a wrong one counts as a failed login of the name: lockout applies); the
 * new one must pass the policy and differ; then, in one transaction, the new hash and
 * `PasswordChanged`; afterwards every other session of the user is revoked (this one is kept).
 */
@Injectable()
export class PasswordChangeService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
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

  async change(principal: Principal, currentPassword: string, newPassword: string, metadata: CommandMetadata): Promise<{ sessionsRevoked: number }> {
    const nameHash = usernameHash(principal.username);
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed logins: this account is locked for a while', locked);
    const rows: Array<{ username: string; password_hash: string }> = await this.dataSource.query(
      `SELECT u.username, c.password_hash FROM ${this.s}.users u JOIN ${this.s}.user_credentials c ON c.user_id = u.id WHERE u.id = $1`,
      [principal.userId],
    );
    const row = rows[0];
    if (!(await this.hasher.verify(row?.password_hash ?? null, currentPassword))) {
      await this.throttle.recordFailure(nameHash, metadata.actor.ip ?? 'unknown');
      throw new AuthError(AuthErrorCode.InvalidCredentials, 'the current password is wrong');
    }
    const problem = passwordProblem(newPassword, row.username);
    if (problem) throw new UserError(UserErrorCode.WeakPassword, problem);
    if (newPassword === currentPassword) throw new UserError(UserErrorCode.WeakPassword, 'body.newPassword: must differ from the current password');
    const hash = await this.hasher.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await this.store.handle(userStreamId(principal.userId), userDecider, { type: 'ChangePassword', data: { userId: principal.userId } }, { metadata, manager });
      await manager.query(`UPDATE ${this.s}.user_credentials SET password_hash = $2, updated_at = $3 WHERE user_id = $1`, [
        principal.userId,
        hash,
        metadata.now,
      ]);
    });
    const others: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM ${this.s}.sessions WHERE user_id = $1 AND status = 'active' AND id <> $2`,
      [principal.userId, principal.sessionId],
    );
    for (const session of others) await this.sessions.revoke(session.id, 'password_changed', metadata);
    return { sessionsRevoked: others.length };
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
