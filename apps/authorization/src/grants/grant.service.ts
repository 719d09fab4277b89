import { Injectable } from '@nestjs/common';
import type { GrantEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { toSqlFilter, type Principal } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AbilityService } from '../policy/ability.service';
import { PolicyVersionService } from '../policy/policy-version.service';
import { AccessError } from '../policy/policy.exception';
import { UserError, UserErrorCode } from '../users/user.exception';
import type { GrantCommand } from './grant.commands';
import { decide, evolve, initialGrantState } from './grant.decider';
import type { GrantDecisionBody, GrantView, ListGrantsQuery, RequestGrantBody } from './grant.dto';
import { GrantError, GrantErrorCode } from './grant.exception';

const grantDecider = { initialState: initialGrantState, decide, evolve };

type GrantRow = {
  id: string;
  user_id: string;
  permissions: unknown[];
  reason: string;
  status: string;
  expires_at: Date;
  requested_by: string;
  decided_by: string | null;
  decision_comment: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

type ListedGrantRow = GrantRow & { grantee_username: string | null; grantee_display_name: string | null };

export const grantStreamId = (grantId: string): string => `grant-${grantId}`;

/** At most this many grants are expired per sweep (the next sweep takes the rest). */
const SWEEP_BATCH = 200;

/**
 * Time-bound grants: request → approve/reject by someone whose ability allows `approve-grant` on
 * the grantee's team (a supervisor of it or of a parent team; a security officer) and never by
 * the grantee → revoke or expire. Every change bumps the grantee's policy version (projection).
 */
@Injectable()
export class GrantService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly abilities: AbilityService,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  private async handle(grantId: string, command: GrantCommand, metadata: CommandMetadata, manager?: EntityManager): Promise<GrantEvent[]> {
    return (await this.store.handle(grantStreamId(grantId), grantDecider, command, { metadata, manager })).events;
  }

  /** The grantee asks for themself; an admin may ask on someone's behalf. */
  async request(body: RequestGrantBody, principal: Principal, metadata: CommandMetadata): Promise<GrantView> {
    if (body.userId !== principal.userId && !principal.roles.includes('admin')) {
      throw new AccessError('a grant is requested by its grantee (or an admin on their behalf)');
    }
    await this.teamOf(body.userId);
    const grantId = uuidv7();
    await this.handle(
      grantId,
      { type: 'RequestGrant', data: { grantId, ...body, requestedBy: principal.userId, now: metadata.now.toISOString() } },
      metadata,
    );
    return this.afterChange(grantId, body.userId);
  }

  async approve(grantId: string, body: GrantDecisionBody, principal: Principal, metadata: CommandMetadata): Promise<GrantView> {
    const grant = await this.row(grantId);
    // The grantee is refused by the decider (GRANT_SELF_APPROVAL), whatever their roles.
    if (grant.user_id !== principal.userId) await this.assertMayDecide(principal, grant.user_id, metadata.now);
    await this.handle(
      grantId,
      { type: 'ApproveGrant', data: { grantId, by: principal.userId, comment: body.comment ?? null, now: metadata.now.toISOString() } },
      metadata,
    );
    return this.afterChange(grantId, grant.user_id);
  }

  async reject(grantId: string, body: GrantDecisionBody, principal: Principal, metadata: CommandMetadata): Promise<GrantView> {
    const grant = await this.row(grantId);
    if (grant.user_id !== principal.userId) await this.assertMayDecide(principal, grant.user_id, metadata.now);
    await this.handle(grantId, { type: 'RejectGrant', data: { grantId, by: principal.userId, comment: body.comment ?? null } }, metadata);
    return this.afterChange(grantId, grant.user_id);
  }

  /** The grantee may give a grant up; whoever may approve it, or an admin, may take it back. */
  async revoke(grantId: string, body: GrantDecisionBody, principal: Principal, metadata: CommandMetadata): Promise<GrantView> {
    const grant = await this.row(grantId);
    if (grant.user_id !== principal.userId && !principal.roles.includes('admin')) {
      await this.assertMayDecide(principal, grant.user_id, metadata.now);
    }
    await this.handle(grantId, { type: 'RevokeGrant', data: { grantId, by: principal.userId, comment: body.comment ?? null } }, metadata);
    return this.afterChange(grantId, grant.user_id);
  }

  /**
   * The caller's own grants and those they may approve (the policy's `approve-grant` conditions
   * as SQL), filtered by grantee and status.
   */
  async list(query: ListGrantsQuery, principal: Principal): Promise<GrantView[]> {
    const policy = await this.abilities.policyFor(principal.userId);
    const values: unknown[] = [principal.userId];
    const approvable = toSqlFilter(policy, 'approve-grant', 'Grant', { columns: { teamId: 'u.team_id' }, paramOffset: 1 });
    values.push(...approvable.params);
    const where = [`(g.user_id = $1 OR (${approvable.sql}))`];
    if (query.userId) {
      values.push(query.userId);
      where.push(`g.user_id = $${values.length}`);
    }
    if (query.status) {
      values.push(query.status);
      where.push(`g.status = $${values.length}`);
    }
    const rows: ListedGrantRow[] = await this.dataSource.query(
      `SELECT g.*, u.username AS grantee_username, u.display_name AS grantee_display_name
       FROM ${this.s}.grants g LEFT JOIN ${this.s}.users u ON u.id = g.user_id
       WHERE ${where.join(' AND ')} ORDER BY g.created_at DESC, g.id LIMIT 500`,
      values,
    );
    return rows.map((row) => ({
      ...toView(row),
      grantee: row.grantee_username ? { username: row.grantee_username, displayName: row.grantee_display_name ?? row.grantee_username } : null,
    }));
  }

  async get(grantId: string): Promise<GrantView> {
    return toView(await this.row(grantId));
  }

  /**
   * Records `GrantExpired` for pending and active grants past their expiry. One instance at a
   * time (a transaction-scoped advisory lock; the others skip the round), and idempotent anyway:
   * the decider records nothing for a grant already expired. Returns how many expired.
   */
  async expireDue(metadata: CommandMetadata): Promise<number> {
    const grantees = new Set<string>();
    await this.dataSource.transaction(async (manager) => {
      const [{ locked }]: Array<{ locked: boolean }> = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
        `warden.grant-expiry.${this.store.schema}`,
      ]);
      if (!locked) return;
      const due: Array<{ id: string; user_id: string }> = await manager.query(
        `SELECT id, user_id FROM ${this.s}.grants WHERE status IN ('pending', 'active') AND expires_at <= $1 ORDER BY expires_at LIMIT ${SWEEP_BATCH}`,
        [metadata.now],
      );
      for (const grant of due) {
        const events = await this.handle(grant.id, { type: 'ExpireGrant', data: { grantId: grant.id, now: metadata.now.toISOString() } }, metadata, manager);
        if (events.length > 0) grantees.add(grant.user_id);
      }
    });
    await this.policyVersions.mirror([...grantees]);
    return grantees.size;
  }

  /**
   * Revokes every pending and active grant of the user, in `manager`'s transaction (freeze).
   * Returns how many were revoked; the caller mirrors the policy version after commit.
   */
  async revokeAllOf(userId: string, by: string, comment: string, metadata: CommandMetadata, manager: EntityManager): Promise<number> {
    const open: Array<{ id: string }> = await manager.query(
      `SELECT id FROM ${this.s}.grants WHERE user_id = $1 AND status IN ('pending', 'active') ORDER BY id`,
      [userId],
    );
    let revoked = 0;
    for (const grant of open) {
      const events = await this.handle(grant.id, { type: 'RevokeGrant', data: { grantId: grant.id, by, comment } }, metadata, manager);
      revoked += events.length;
    }
    return revoked;
  }

  private async assertMayDecide(principal: Principal, granteeId: string, now: Date): Promise<void> {
    const teamId = await this.teamOf(granteeId);
    const policy = await this.abilities.policyFor(principal.userId, now);
    if (!policy.can('approve-grant', 'Grant', { teamId })) {
      throw new AccessError("only a supervisor of the grantee's team or a security officer may decide on this grant");
    }
  }

  /** The grantee's team (null when none); a missing grantee is a bad reference. */
  private async teamOf(userId: string): Promise<string | null> {
    const rows: Array<{ team_id: string | null }> = await this.dataSource.query(`SELECT team_id FROM ${this.s}.users WHERE id = $1`, [userId]);
    if (rows.length === 0) throw new UserError(UserErrorCode.InvalidReference, `body.userId: user ${userId} does not exist`);
    return rows[0].team_id;
  }

  private async afterChange(grantId: string, granteeId: string): Promise<GrantView> {
    await this.policyVersions.mirror([granteeId]);
    return this.get(grantId);
  }

  private async row(grantId: string): Promise<GrantRow> {
    const rows: GrantRow[] = await this.dataSource.query(`SELECT * FROM ${this.s}.grants WHERE id = $1`, [grantId]);
    if (rows.length === 0) throw new GrantError(GrantErrorCode.NotFound, `grant ${grantId} not found`);
    return rows[0];
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: GrantRow): GrantView {
  return {
    id: row.id,
    userId: row.user_id,
    grantee: null,
    permissions: row.permissions,
    reason: row.reason,
    status: row.status,
    expiresAt: row.expires_at.toISOString(),
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    comment: row.decision_comment,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
