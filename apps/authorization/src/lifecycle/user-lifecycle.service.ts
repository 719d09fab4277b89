import { Injectable } from '@nestjs/common';
import type { UserEvent, UserFrozenData } from '@warden/contracts';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import { RevocationStore } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { GrantService } from '../grants/grant.service';
import { PolicyVersionService } from '../policy/policy-version.service';
import { SessionService } from '../sessions/session.service';
import type { UserCommand } from '../users/user.commands';
import { decide, evolve, initialUserState } from '../users/user.decider';
import { UserError, UserErrorCode } from '../users/user.exception';
import { userStreamId } from '../users/user.service';
import type { DepartureView, FreezeResponse, ImposeRestrictionBody, RestrictionView } from './user-lifecycle.dto';

const userDecider = { initialState: initialUserState, decide, evolve };

/** How many times a departure's cancellation is decided again after a concurrent write on the user. */
const CONFLICT_ATTEMPTS = 5;

type RestrictionRow = { id: string; user_id: string; action: string; until: Date; reason: string; status: string };

/**
 * What offboarding and automated responses do to a user: mark departing (and cancel it), freeze (offboarded,
 * every session, refresh token and grant revoked), end every session, require MFA at the next
 * login, and time-bound restrictions (an explicit deny of `export` in the user's ability).
 */
@Injectable()
export class UserLifecycleService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly grants: GrantService,
    private readonly revocations: RevocationStore,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  private async handle(userId: string, command: UserCommand, metadata: CommandMetadata, manager?: EntityManager): Promise<UserEvent[]> {
    return (await this.store.handle(userStreamId(userId), userDecider, command, { metadata, manager })).events;
  }

  async markDeparting(userId: string, effectiveAt: string, metadata: CommandMetadata): Promise<DepartureView> {
    await this.handle(userId, { type: 'MarkDeparting', data: { userId, effectiveAt } }, metadata);
    await this.policyVersions.mirror([userId]);
    return this.departure(userId);
  }

  /**
   * Undoes `markDeparting` (the offboarding was cancelled before it took effect): the date cleared,
   * a departing user active again. Idempotent; an offboarded user is refused (409). A concurrent
   * write on the user (a login, a late mark) is not the caller's problem: decided again on it.
   */
  async cancelDeparture(userId: string, reason: string, metadata: CommandMetadata): Promise<DepartureView> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.handle(userId, { type: 'CancelDeparture', data: { userId, reason } }, metadata);
        break;
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !(error instanceof StreamVersionConflict)) throw error;
      }
    }
    await this.policyVersions.mirror([userId]);
    return this.departure(userId);
  }

  private async departure(userId: string): Promise<DepartureView> {
    const [row]: Array<{ status: string; departing_effective_at: Date | null }> = await this.dataSource.query(
      `SELECT status, departing_effective_at FROM ${this.s}.users WHERE id = $1`,
      [userId],
    );
    return { status: row.status, departingEffectiveAt: row.departing_effective_at?.toISOString() ?? null };
  }

  /**
   * In one go: the user-wide revocation marker in Redis first (from that instant every service
   * refuses every token of the user), then in one transaction the status (offboarded), every
   * session and refresh token, every pending or active grant, and `UserFrozen`. Serialised per
   * user; a second call finds the user frozen and changes nothing.
   */
  async freeze(userId: string, reason: string, metadata: CommandMetadata): Promise<FreezeResponse> {
    const [user]: Array<{ frozen_at: Date | null }> = await this.dataSource.query(`SELECT frozen_at FROM ${this.s}.users WHERE id = $1`, [userId]);
    if (!user) throw new UserError(UserErrorCode.NotFound, `user ${userId} not found`);
    if (user.frozen_at) return this.firstFreeze(userId);
    await this.revocations.revokeUser(userId, metadata.now);
    const result = await this.dataSource.transaction(async (manager): Promise<FreezeResponse> => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`warden.freeze.${this.store.schema}.${userId}`]);
      const [again]: Array<{ frozen_at: Date | null }> = await manager.query(`SELECT frozen_at FROM ${this.s}.users WHERE id = $1`, [userId]);
      if (again.frozen_at) return this.firstFreeze(userId, manager);
      const sessionsRevoked = await this.sessions.revokeAllRows(userId, 'user_frozen', metadata, manager);
      const grantsRevoked = await this.grants.revokeAllOf(userId, metadata.actor.userId, `frozen: ${reason}`.slice(0, 500), metadata, manager);
      await this.handle(userId, { type: 'FreezeUser', data: { userId, reason, sessionsRevoked, grantsRevoked } }, metadata, manager);
      return { sessionsRevoked, grantsRevoked, alreadyFrozen: false };
    });
    await this.policyVersions.mirror([userId]);
    return result;
  }

  /**
   * A repeated freeze answers what the first one did (from its `UserFrozen` event), with
   * `alreadyFrozen`: a caller that retries after losing the first answer (offboarding killed
   * mid-step) records the real counts, not zeros.
   */
  private async firstFreeze(userId: string, manager: EntityManager = this.dataSource.manager): Promise<FreezeResponse> {
    const frozen = (await this.store.readStream(userStreamId(userId), manager)).findLast((event) => event.type === 'UserFrozen');
    const data = (frozen?.data ?? {}) as Partial<UserFrozenData>;
    return { sessionsRevoked: data.sessionsRevoked ?? 0, grantsRevoked: data.grantsRevoked ?? 0, alreadyFrozen: true };
  }

  /** "Sign out everywhere" for automated responses; answers how many sessions were active. */
  async revokeAllSessions(userId: string, reason: string, metadata: CommandMetadata): Promise<{ sessionsRevoked: number }> {
    await this.assertExists(userId);
    await this.revocations.revokeUser(userId, metadata.now);
    const sessionsRevoked = await this.dataSource.transaction((manager) => this.sessions.revokeAllRows(userId, reason, metadata, manager));
    return { sessionsRevoked };
  }

  async requireMfa(userId: string, reason: string | null, metadata: CommandMetadata): Promise<{ mfaRequired: true }> {
    await this.handle(userId, { type: 'RequireMfa', data: { userId, reason } }, metadata);
    return { mfaRequired: true };
  }

  async imposeRestriction(userId: string, body: ImposeRestrictionBody, metadata: CommandMetadata): Promise<RestrictionView> {
    const restrictionId = uuidv7();
    await this.handle(
      userId,
      { type: 'ImposeRestriction', data: { restrictionId, userId, action: body.action, until: body.until, reason: body.reason, now: metadata.now.toISOString() } },
      metadata,
    );
    await this.policyVersions.mirror([userId]);
    return this.restriction(userId, restrictionId);
  }

  async liftRestriction(userId: string, restrictionId: string, metadata: CommandMetadata): Promise<void> {
    await this.handle(userId, { type: 'LiftRestriction', data: { userId, restrictionId } }, metadata);
    await this.policyVersions.mirror([userId]);
  }

  async listRestrictions(userId: string): Promise<RestrictionView[]> {
    await this.assertExists(userId);
    const rows: RestrictionRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.user_restrictions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200`,
      [userId],
    );
    return rows.map(toRestrictionView);
  }

  private async restriction(userId: string, restrictionId: string): Promise<RestrictionView> {
    const rows: RestrictionRow[] = await this.dataSource.query(`SELECT * FROM ${this.s}.user_restrictions WHERE id = $1 AND user_id = $2`, [
      restrictionId,
      userId,
    ]);
    if (rows.length === 0) throw new UserError(UserErrorCode.RestrictionNotFound, `restriction ${restrictionId} not found`);
    return toRestrictionView(rows[0]);
  }

  private async assertExists(userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.users WHERE id = $1`, [userId]);
    if (rows.length === 0) throw new UserError(UserErrorCode.NotFound, `user ${userId} not found`);
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toRestrictionView(row: RestrictionRow): RestrictionView {
  return {
    restrictionId: row.id,
    userId: row.user_id,
    action: row.action,
    until: row.until.toISOString(),
    reason: row.reason,
    status: row.status === 'imposed' && row.until.getTime() <= Date.now() ? 'expired' : row.status,
  };
}
