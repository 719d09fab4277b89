import { Inject, Injectable } from '@nestjs/common';
import type { LoginFailedData, MfaChallengeFailedData } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata, type NewEvent } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import { RevocationStore, type Principal } from '@warden/security';
import type Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthorizationConfig } from '../core/config';
import { withActor } from '../core/request-metadata';
import { AUTH_CONFIG } from '../core/tokens';
import { mfaStep } from '../mfa/mfa-requirement.util';
import { MfaError, MfaErrorCode } from '../mfa/mfa.exception';
import { MfaService } from '../mfa/mfa.service';
import { RoleService } from '../roles/role.service';
import { GeoService } from '../sessions/geo.service';
import { SessionError } from '../sessions/session.exception';
import { SessionService } from '../sessions/session.service';
import { AccessTokenService } from '../signing-keys/access-token.service';
import { PasswordHasher } from '../users/password.hasher';
import { SIGN_IN_STATUSES } from '../users/user.decider';
import { UserService } from '../users/user.service';
import type { LoginBody, LoginResponse, RecoveryCodesResponse, TokenResponse } from './auth.dto';
import { AuthError, AuthErrorCode, invalidCredentials, invalidRefreshToken } from './auth.exception';
import { LoginThrottle, usernameHash } from './login-throttle';

type LoginUser = { id: string; username: string; roles: string[]; teamId: string | null };

type RefreshRow = { token_hash: string; session_id: string; user_id: string; status: string; expires_at: Date };
type RefreshOutcome =
  | { kind: 'invalid' }
  | { kind: 'reuse'; sessionId: string }
  | { kind: 'ok'; sessionId: string; refreshToken: string; user: { id: string; username: string; roles: string[]; teamId: string | null } };

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
const newRefreshToken = (): string => randomBytes(32).toString('base64url');

/** Login (with the second factor and enrolment it requires), refresh-token rotation with reuse detection, logout. */
@Injectable()
export class AuthService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly geo: GeoService,
    private readonly tokens: AccessTokenService,
    private readonly revocations: RevocationStore,
    private readonly mfa: MfaService,
    private readonly roles: RoleService,
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

  async login(body: LoginBody, metadata: CommandMetadata): Promise<LoginResponse> {
    const ip = metadata.actor.ip ?? 'unknown';
    const nameHash = usernameHash(body.username);
    const ipWait = await this.throttle.ipRetryAfter(ip);
    if (ipWait > 0) {
      await this.recordFailure(null, nameHash, 'rate_limited', metadata);
      throw new AuthError(AuthErrorCode.RateLimited, 'too many failed logins from this address; try again later', ipWait);
    }
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) {
      const known = await this.users.findForLogin(body.username);
      await this.recordFailure(known?.id ?? null, nameHash, 'locked', metadata);
      throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed logins: this account is locked for a while', locked);
    }
    const user = await this.users.findForLogin(body.username);
    // Unknown names are verified against a dummy hash: the answer takes as long either way.
    const passwordOk = await this.hasher.verify(user?.passwordHash ?? null, body.password);
    if (!user || !passwordOk || !SIGN_IN_STATUSES.has(user.status)) {
      await this.throttle.recordFailure(nameHash, ip);
      await this.recordFailure(user?.id ?? null, nameHash, passwordOk ? 'disabled' : 'bad_credentials', metadata);
      throw invalidCredentials();
    }
    const [enrolled, requiredByRole] = await Promise.all([this.mfa.isEnabled(user.id), this.roles.mfaRequiredFor(user.roles)]);
    // Required by a role, or for this user since an automated response (POST /v1/users/:id/require-mfa).
    const step = mfaStep({ requiredByRole: requiredByRole || user.mfaRequired, enrolled, code: body.totp });
    const userMetadata = withActor(metadata, user.id, null);
    switch (step.kind) {
      case 'enrollment-required':
        // The password was right, but nothing is issued before enrolment: no session, no token, and
        // the failure count stays (it is cleared by a complete login only).
        return { mfaEnrollmentRequired: true, enrollmentToken: await this.mfa.issueEnrollmentToken(user.id) };
      case 'code-missing':
        // Not a failure of the name: the password was right. Nothing is issued without the code.
        await this.recordFailure(user.id, nameHash, 'mfa_required', metadata);
        throw new AuthError(AuthErrorCode.MfaRequired, 'a TOTP code (or a recovery code) is required (totp)');
      case 'totp':
      case 'recovery-code': {
        const ok =
          step.kind === 'totp'
            ? await this.mfa.verifyLogin(user.id, step.code, metadata.now)
            : await this.mfa.consumeRecoveryCode(user.id, step.code, userMetadata);
        if (!ok) {
          await this.throttle.recordFailure(nameHash, ip);
          await this.recordFailure(user.id, nameHash, 'bad_credentials', metadata, step.kind === 'totp' ? 'totp' : 'recovery_code');
          throw invalidCredentials();
        }
        break;
      }
      case 'none':
        break;
      default: {
        const unknown: never = step;
        throw new Error(`unhandled MFA step ${String((unknown as { kind: unknown }).kind)}`);
      }
    }
    await this.throttle.recordSuccess(nameHash);
    return this.startSession(user, step.kind !== 'none', metadata);
  }

  /**
   * `POST /v1/auth/mfa/enroll` with an enrollment token: a pending secret for the token's user.
   * The token stays valid (activation needs it) until it expires or activation spends it.
   */
  async enrollWithToken(enrollmentToken: string, now: Date): Promise<{ secret: string; otpauthUri: string }> {
    const user = await this.enrollingUser(enrollmentToken);
    return this.mfa.enroll(user.id, user.username, now);
  }

  /**
   * `POST /v1/auth/mfa/activate` with an enrollment token: activates the secret and signs the user
   * in as a login would. A wrong code counts as a failed login of the name (lockout applies).
   */
  async activateWithToken(enrollmentToken: string, totp: string, metadata: CommandMetadata): Promise<TokenResponse & RecoveryCodesResponse> {
    const user = await this.enrollingUser(enrollmentToken);
    const nameHash = usernameHash(user.username);
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed logins: this account is locked for a while', locked);
    const userMetadata = withActor(metadata, user.id, null);
    let recoveryCodes: string[];
    try {
      recoveryCodes = await this.mfa.activate(user.id, totp, userMetadata);
    } catch (error) {
      if (error instanceof MfaError && error.code === MfaErrorCode.InvalidCode) {
        await this.throttle.recordFailure(nameHash, metadata.actor.ip ?? 'unknown');
        await this.recordFailure(user.id, nameHash, 'bad_credentials', metadata, 'totp');
      }
      throw error;
    }
    await this.mfa.spendEnrollmentToken(enrollmentToken);
    await this.throttle.recordSuccess(nameHash);
    return { ...(await this.startSession(user, true, metadata)), recoveryCodes };
  }

  /** Voluntary activation by a signed-in user: the recovery codes, shown once. */
  async activate(principal: Principal, totp: string, metadata: CommandMetadata): Promise<RecoveryCodesResponse> {
    return { recoveryCodes: await this.mfa.activate(principal.userId, totp, metadata) };
  }

  /** New recovery codes after a current TOTP code; a wrong code counts as a failed login of the name. */
  async regenerateRecoveryCodes(principal: Principal, totp: string, metadata: CommandMetadata): Promise<RecoveryCodesResponse> {
    const nameHash = usernameHash(principal.username);
    const locked = await this.throttle.lockedFor(nameHash);
    if (locked > 0) throw new AuthError(AuthErrorCode.AccountLocked, 'too many failed logins: this account is locked for a while', locked);
    const recoveryCodes = await this.mfa.regenerateRecoveryCodes(principal.userId, totp, metadata);
    if (!recoveryCodes) {
      await this.throttle.recordFailure(nameHash, metadata.actor.ip ?? 'unknown');
      await this.recordFailure(principal.userId, nameHash, 'bad_credentials', metadata, 'totp');
      throw new MfaError(MfaErrorCode.InvalidCode, 'the code is not valid');
    }
    return { recoveryCodes };
  }

  private async enrollingUser(enrollmentToken: string): Promise<LoginUser> {
    const userId = await this.mfa.enrollmentTokenUser(enrollmentToken);
    const user = await this.users.get(userId).catch(() => null);
    if (!user || !SIGN_IN_STATUSES.has(user.status)) {
      await this.mfa.spendEnrollmentToken(enrollmentToken);
      throw new MfaError(MfaErrorCode.InvalidEnrollmentToken, 'the enrollment token is invalid or expired; log in again');
    }
    return user;
  }

  /** A new session (one refresh-token family) and its tokens. */
  private async startSession(user: LoginUser, mfa: boolean, metadata: CommandMetadata): Promise<TokenResponse> {
    const sessionId = uuidv7();
    const geo = await this.geo.locate(metadata.actor.ip);
    const refreshToken = newRefreshToken();
    const sessionMetadata = withActor(metadata, user.id, sessionId);
    await this.dataSource.transaction(async (manager) => {
      await this.sessions.handle(sessionId, { type: 'StartSession', data: { userId: user.id, sessionId, mfa, geo } }, sessionMetadata, manager);
      await this.insertRefreshToken(manager, refreshToken, sessionId, user.id, metadata.now);
    });
    return this.tokenResponse({ userId: user.id, sessionId, username: user.username, roles: user.roles, teamId: user.teamId }, refreshToken, metadata.now);
  }

  /**
   * Rotates a refresh token: the presented one becomes `rotated`, a new one is issued. A rotated
   * token presented again means the family leaked: the whole session is revoked.
   */
  async refresh(presented: string, metadata: CommandMetadata): Promise<TokenResponse> {
    let outcome: RefreshOutcome;
    try {
      outcome = await this.dataSource.transaction((manager) => this.rotate(manager, sha256(presented), metadata));
    } catch (error) {
      if (error instanceof SessionError) throw invalidRefreshToken();
      throw error;
    }
    if (outcome.kind === 'reuse') {
      await this.revocations.revokeSession(outcome.sessionId, metadata.now);
      throw invalidRefreshToken();
    }
    if (outcome.kind === 'invalid') throw invalidRefreshToken();
    const { user, sessionId, refreshToken } = outcome;
    return this.tokenResponse({ userId: user.id, sessionId, username: user.username, roles: user.roles, teamId: user.teamId }, refreshToken, metadata.now);
  }

  async logout(principal: Principal, metadata: CommandMetadata): Promise<void> {
    await this.sessions.revoke(principal.sessionId, 'logout', metadata);
  }

  private async rotate(manager: EntityManager, tokenHash: string, metadata: CommandMetadata): Promise<RefreshOutcome> {
    const [row]: RefreshRow[] = await manager.query(
      `SELECT token_hash, session_id, user_id, status, expires_at FROM ${this.s}.refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
      [tokenHash],
    );
    if (!row) return { kind: 'invalid' };
    const meta = withActor(metadata, row.user_id, row.session_id);
    if (row.status === 'rotated') {
      await this.sessions.handle(row.session_id, { type: 'DetectRefreshReuse', data: { sessionId: row.session_id } }, meta, manager);
      await manager.query(`UPDATE ${this.s}.refresh_tokens SET status = 'revoked' WHERE session_id = $1 AND status <> 'revoked'`, [row.session_id]);
      return { kind: 'reuse', sessionId: row.session_id };
    }
    if (row.status !== 'active' || row.expires_at.getTime() <= metadata.now.getTime()) return { kind: 'invalid' };
    const [user]: Array<{ id: string; username: string; roles: string[]; team_id: string | null; status: string }> = await manager.query(
      `SELECT id, username, roles, team_id, status FROM ${this.s}.users WHERE id = $1`,
      [row.user_id],
    );
    if (!user || !SIGN_IN_STATUSES.has(user.status)) return { kind: 'invalid' };
    await this.sessions.handle(row.session_id, { type: 'RecordRefresh', data: { sessionId: row.session_id } }, meta, manager);
    await manager.query(`UPDATE ${this.s}.refresh_tokens SET status = 'rotated', used_at = $2 WHERE token_hash = $1`, [tokenHash, metadata.now]);
    const refreshToken = newRefreshToken();
    await this.insertRefreshToken(manager, refreshToken, row.session_id, row.user_id, metadata.now);
    return {
      kind: 'ok',
      sessionId: row.session_id,
      refreshToken,
      user: { id: user.id, username: user.username, roles: user.roles, teamId: user.team_id },
    };
  }

  private async insertRefreshToken(manager: EntityManager, token: string, sessionId: string, userId: string, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.refresh_tokens (token_hash, session_id, user_id, status, created_at, expires_at)
       VALUES ($1, $2, $3, 'active', $4, $5)`,
      [sha256(token), sessionId, userId, now, new Date(now.getTime() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000)],
    );
  }

  private async tokenResponse(subject: Omit<Principal, 'issuedAt'>, refreshToken: string, now: Date): Promise<TokenResponse> {
    return {
      accessToken: await this.tokens.issue(subject, now),
      refreshToken,
      expiresIn: this.tokens.ttlSeconds,
      tokenType: 'Bearer',
    };
  }

  /**
   * LoginFailed, on a stream of its own (one per attempt: attempts never contend); with
   * MfaChallengeFailed when it was the second factor that failed.
   */
  private async recordFailure(
    userId: string | null,
    nameHash: string,
    reason: LoginFailedData['reason'],
    metadata: CommandMetadata,
    mfaMethod: MfaChallengeFailedData['method'] | null = null,
  ): Promise<void> {
    const geo = await this.geo.locate(metadata.actor.ip);
    const failed: NewEvent = { type: 'LoginFailed', data: { userId, usernameHash: nameHash, reason, geo } satisfies LoginFailedData };
    const events: NewEvent[] =
      mfaMethod && userId ? [failed, { type: 'MfaChallengeFailed', data: { userId, method: mfaMethod } }] : [failed];
    await this.store.append(`login-attempt-${uuidv7()}`, events, {
      expectedVersion: 0,
      metadata: userId ? withActor(metadata, userId, null) : metadata,
    });
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
