import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Classification } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import {
  compileAbility,
  createPolicy,
  type Action,
  type CompiledAbility,
  type Grant,
  type Permission,
  type Policy,
  type PolicyUserStatus,
  type RoleDefinition,
  RecentlyUsed,
  SENSITIVE_FIELDS,
} from '@warden/security';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { UserError, UserErrorCode } from '../users/user.exception';
import { PolicyVersionService } from './policy-version.service';
import type { DecisionResult, DecisionsBody } from './policy.dto';
import { withRestrictions, type Restriction } from './restriction.util';
import { teamScope, type TeamNode } from './team-scope.util';

/** A compiled ability is cached at most this long (less when a grant in it expires sooner). */
const CACHE_MAX_SECONDS = 3600;
/** An instance holds a user's built policy in memory at most this long (less when a grant in it expires sooner). */
const LOCAL_TTL_MS = 30_000;
/** Users whose built policy an instance holds at once, the least recently used dropped first. */
const LOCAL_MAX_ENTRIES = 5000;

/** A compiled ability with its evaluator, held until `expiresAtMs`. */
type Held = { compiled: CompiledAbility; policy: Policy; expiresAtMs: number };

type UserRow = { id: string; roles: string[]; team_id: string | null; clearance: string; status: string };
type RoleRow = { name: string; description: string; permissions: Permission[]; mfa_required: boolean };
type GrantRow = { id: string; user_id: string; permissions: Permission[]; status: string; expires_at: Date };

/**
 * A user's compiled ability (libs/security `compileAbility`) from the read models: their roles
 * (defaults and custom, from `roles`), their team scope (own team plus supervised teams and their
 * sub-teams), clearance, status and active grants. Cached in Redis under
 * `warden:ability:<userId>:<policyVersion>`, so any change (which bumps the version) is seen at once.
 * Each instance also holds the built policy of recently asked users in memory under the same
 * (user, version) for up to 30 s: the version is still read from Postgres on every call, so a
 * change is seen at once there too, and a decision needs no Redis round trip.
 */
@Injectable()
export class AbilityService {
  private readonly logger = new Logger('Ability');
  private readonly local = new RecentlyUsed<string, Held>(LOCAL_MAX_ENTRIES);

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly versions: PolicyVersionService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  static cacheKey(userId: string, version: number): string {
    return `warden:ability:${userId}:${version}`;
  }

  async compiledFor(userId: string, now: Date = new Date()): Promise<CompiledAbility> {
    return (await this.held(userId, now)).compiled;
  }

  /** The evaluator of the user's ability, reading the clock on each check (grants expire by time). */
  async policyFor(userId: string, now: Date = new Date()): Promise<Policy> {
    return (await this.held(userId, now)).policy;
  }

  private async held(userId: string, now: Date): Promise<Held> {
    // The version first: data read after it is at least as new, so a cache entry is never older
    // than its key says.
    const version = await this.versions.current(userId);
    const key = AbilityService.cacheKey(userId, version);
    const held = this.local.get(key);
    if (held && held.expiresAtMs > now.getTime()) return held;

    let compiled = await this.readCache(key, now);
    if (!compiled) {
      compiled = await this.compile(userId, version, now);
      const untilMs = compiled.validUntil === null ? Number.POSITIVE_INFINITY : Date.parse(compiled.validUntil) - now.getTime();
      const ttl = Math.min(CACHE_MAX_SECONDS, Math.floor(untilMs / 1000));
      if (ttl >= 1) {
        await this.redis.set(key, JSON.stringify(compiled), 'EX', ttl).catch((error: Error) => {
          this.logger.warn({ err: error.message }, 'could not cache a compiled ability');
        });
      }
    }
    // The mirror for the other services, repaired whenever this instance (re)builds the policy.
    await this.versions.write([{ user_id: userId, version }]);
    const validUntilMs = compiled.validUntil === null ? Number.POSITIVE_INFINITY : Date.parse(compiled.validUntil);
    const entry: Held = { compiled, policy: createPolicy(compiled), expiresAtMs: Math.min(now.getTime() + LOCAL_TTL_MS, validUntilMs) };
    this.local.set(key, entry);
    return entry;
  }

  /**
   * Each decision on the user's ability: allowed or not and, when allowed, the level of the
   * subject's sensitive fields and of every attribute the resource names.
   */
  async decide(userId: string, decisions: DecisionsBody['decisions']): Promise<DecisionResult[]> {
    const policy = await this.policyFor(userId);
    return decisions.map(({ subject, action, resource }): DecisionResult => {
      const allowed = policy.can(action, subject, resource);
      const fields = [...new Set([...(SENSITIVE_FIELDS[subject] ?? []), ...Object.keys(resource ?? {})])];
      if (!allowed || fields.length === 0) return { allowed };
      return { allowed, fieldLevels: policy.fieldLevels(action, subject, fields, resource) };
    });
  }

  /** The user's roles as the database has them now (none for an unknown user or one who may not act). */
  async currentRolesOf(userId: string): Promise<string[]> {
    const rows: Array<{ roles: string[]; status: string }> = await this.dataSource.query(`SELECT roles, status FROM ${this.s}.users WHERE id = $1`, [
      userId,
    ]);
    const user = rows[0];
    return user && (user.status === 'active' || user.status === 'departing') ? user.roles : [];
  }

  /** The teams a user acts for (own team, supervised teams and their sub-teams). */
  async teamIdsOf(user: { id: string; team_id: string | null; roles: string[] }): Promise<string[]> {
    const teams: Array<{ id: string; parent_id: string | null; supervisor_id: string | null }> = await this.dataSource.query(
      `SELECT id, parent_id, supervisor_id FROM ${this.s}.teams`,
    );
    const nodes: TeamNode[] = teams.map((t) => ({ id: t.id, parentId: t.parent_id, supervisorId: t.supervisor_id }));
    return teamScope({ userId: user.id, teamId: user.team_id, roles: user.roles }, nodes);
  }

  private async compile(userId: string, version: number, now: Date): Promise<CompiledAbility> {
    const users: UserRow[] = await this.dataSource.query(
      `SELECT id, roles, team_id, clearance, status FROM ${this.s}.users WHERE id = $1`,
      [userId],
    );
    const user = users[0];
    if (!user) throw new UserError(UserErrorCode.NotFound, `user ${userId} not found`);
    const roleRows: RoleRow[] = await this.dataSource.query(
      `SELECT name, description, permissions, mfa_required FROM ${this.s}.roles WHERE name = ANY($1)`,
      [user.roles],
    );
    const roles: Record<string, RoleDefinition> = Object.fromEntries(
      roleRows.map((r) => [r.name, { name: r.name, description: r.description, permissions: r.permissions, mfaRequired: r.mfa_required }]),
    );
    // Active grants not yet expired; compileAbility checks the time again (the sweeper may lag).
    const grantRows: GrantRow[] = await this.dataSource.query(
      `SELECT id, user_id, permissions, status, expires_at FROM ${this.s}.grants WHERE user_id = $1 AND status = 'active' AND expires_at > $2`,
      [userId, now],
    );
    const grants: Grant[] = grantRows.map((g) => ({
      id: g.id,
      userId: g.user_id,
      permissions: g.permissions,
      status: 'active',
      expiresAt: g.expires_at.toISOString(),
    }));
    const compiled = compileAbility({
      user: {
        userId,
        roles: user.roles,
        teamIds: await this.teamIdsOf(user),
        clearance: user.clearance as Classification,
        status: user.status as PolicyUserStatus,
      },
      roles,
      grants,
      now,
      policyVersion: version,
    });
    return withRestrictions(compiled, await this.restrictionsOf(userId, now));
  }

  /** The user's restrictions in force at `now`. */
  private async restrictionsOf(userId: string, now: Date): Promise<Restriction[]> {
    const rows: Array<{ id: string; action: Action; until: Date }> = await this.dataSource.query(
      `SELECT id, action, until FROM ${this.s}.user_restrictions WHERE user_id = $1 AND status = 'imposed' AND until > $2`,
      [userId, now],
    );
    return rows.map((row) => ({ id: row.id, action: row.action, until: row.until.toISOString() }));
  }

  /** A cached ability, unless missing, unreadable or past its `validUntil` (then recompiled). */
  private async readCache(key: string, now: Date): Promise<CompiledAbility | null> {
    try {
      const raw = await this.redis.get(key);
      if (raw === null) return null;
      const compiled = JSON.parse(raw) as CompiledAbility;
      if (compiled.validUntil !== null && Date.parse(compiled.validUntil) <= now.getTime()) return null;
      return compiled;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not read a cached ability');
      return null;
    }
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
