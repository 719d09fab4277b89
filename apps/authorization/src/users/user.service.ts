import { Injectable } from '@nestjs/common';
import type { UserEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PolicyVersionService } from '../policy/policy-version.service';
import { SessionService } from '../sessions/session.service';
import { maskEmail } from './email-mask.util';
import { PasswordHasher } from './password.hasher';
import { passwordProblem } from './password.policy';
import type { UserCommand } from './user.commands';
import { decide, evolve, initialUserState, REVOKING_STATUSES, rolesRemovedBy, teamChangedBy, type UserState } from './user.decider';
import type { CreateUserBody, ListUsersQuery, Page, UpdateUserBody, UserView } from './user.dto';
import { UserError, UserErrorCode } from './user.exception';

/** Why the sessions of a user who lost a role end (`SessionRevoked.reason`). */
export const ROLES_CHANGED_REASON = 'roles_changed';

/** Why the sessions of a user moved to another team end (`SessionRevoked.reason`). */
export const TEAM_CHANGED_REASON = 'team_changed';

type ChangeNote = { removed: string[]; teamChanged: boolean };

/**
 * The user decider, noting in `note` the roles the events it decides take away (`rolesRemovedBy`)
 * and whether they move the user to another team (`teamChangedBy`).
 */
function noting(note: ChangeNote) {
  const decideNoting = (command: UserCommand, state: UserState): UserEvent[] => {
    const events = decide(command, state);
    note.removed = rolesRemovedBy(state, events);
    note.teamChanged = teamChangedBy(state, events);
    return events;
  };
  return { initialState: initialUserState, decide: decideNoting, evolve };
}

type UserRow = {
  id: string;
  username: string;
  display_name: string;
  email_masked: string;
  email: string | null;
  roles: string[];
  team_id: string | null;
  manager_id: string | null;
  clearance: string;
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

/** What login needs of a user. */
export type LoginCandidate = {
  id: string;
  username: string;
  status: string;
  roles: string[];
  teamId: string | null;
  passwordHash: string;
  /** A second factor is required of this user whatever their roles (RequireMfa). */
  mfaRequired: boolean;
};

export const userStreamId = (userId: string): string => `user-${userId}`;

const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

@Injectable()
export class UserService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  /**
   * Load → decide → append, in `manager`'s transaction. Returns the events appended.
   *
   * Every path that changes a user's roles or team comes through here (the admin's PATCH, SCIM). When
   * the events take a role away or move the user to another team, every session of the user ends in
   * the same transaction (the user's revocation marker, then the rows and `SessionRevoked` with
   * reason `roles_changed` or `team_changed`): the access tokens name the roles and team they were
   * issued with, and every service's guard trusts them until they expire, so the old token must be
   * refused; the next login issues the current ones. The marker is written before the commit: if it
   * cannot be written the change is not made.
   */
  private async handle(userId: string, command: UserCommand, metadata: CommandMetadata, manager: EntityManager): Promise<UserEvent[]> {
    const noted: ChangeNote = { removed: [], teamChanged: false };
    const { events } = await this.store.handle(userStreamId(userId), noting(noted), command, { metadata, manager });
    if (noted.removed.length > 0) await this.sessions.revokeAllInTransaction(userId, ROLES_CHANGED_REASON, metadata, manager);
    else if (noted.teamChanged) await this.sessions.revokeAllInTransaction(userId, TEAM_CHANGED_REASON, metadata, manager);
    return events;
  }

  async create(body: CreateUserBody, metadata: CommandMetadata): Promise<UserView> {
    const problem = passwordProblem(body.password, body.username);
    if (problem) throw new UserError(UserErrorCode.WeakPassword, problem);
    await this.checkReferences(body.teamId, body.managerId);
    await this.checkRoles(body.roles);
    if (await this.usernameExists(body.username)) throw usernameTaken(body.username);
    const passwordHash = await this.hasher.hash(body.password);
    const userId = uuidv7();
    const { password: _password, email, ...rest } = body;
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.handle(userId, { type: 'CreateUser', data: { userId, ...rest, maskedEmail: maskEmail(email) } }, metadata, manager);
        await manager.query(
          `INSERT INTO ${this.s}.user_credentials (user_id, password_hash, email, updated_at) VALUES ($1, $2, $3, $4)`,
          [userId, passwordHash, email, metadata.now],
        );
      });
    } catch (error) {
      // Two creations of one name raced past the check: the unique index decides.
      if (isUniqueViolation(error)) throw usernameTaken(body.username);
      throw error;
    }
    await this.policyVersions.mirror([userId]);
    return this.get(userId);
  }

  async update(userId: string, body: UpdateUserBody, metadata: CommandMetadata): Promise<UserView> {
    const { status, statusReason, email, ...fields } = body;
    await this.checkReferences(fields.teamId ?? null, fields.managerId ?? null, userId);
    if (fields.roles) await this.checkRoles(fields.roles);
    if (fields.username !== undefined && (await this.usernameTakenByAnother(fields.username, userId))) throw usernameTaken(fields.username);
    try {
      await this.applyUpdate(userId, fields, status, statusReason, email, metadata);
    } catch (error) {
      // Two renames to one name raced past the check: the unique index decides.
      if (fields.username !== undefined && isUniqueViolation(error)) throw usernameTaken(fields.username);
      throw error;
    }
    // Disabling or offboarding ends every session at once (marker first, then rows and event). Done
    // again when the status was already set, so a retry after a failed revocation completes it.
    // Departing keeps the sessions: the user still works until offboarded.
    if (status !== undefined && REVOKING_STATUSES.has(status)) {
      await this.sessions.revokeAll(userId, status === 'disabled' ? 'user_disabled' : 'user_offboarded', metadata);
    }
    await this.policyVersions.mirror([userId]);
    return this.get(userId);
  }

  private async applyUpdate(
    userId: string,
    fields: Omit<UpdateUserBody, 'status' | 'statusReason' | 'email'>,
    status: UpdateUserBody['status'],
    statusReason: UpdateUserBody['statusReason'],
    email: UpdateUserBody['email'],
    metadata: CommandMetadata,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Only when a field changes, so that a status-only change reaches an offboarded user's decider.
      if (Object.keys(fields).length > 0 || email !== undefined) {
        await this.handle(
          userId,
          { type: 'UpdateUser', data: { userId, ...fields, ...(email !== undefined ? { maskedEmail: maskEmail(email) } : {}) } },
          metadata,
          manager,
        );
      }
      if (email !== undefined) {
        await manager.query(`UPDATE ${this.s}.user_credentials SET email = $2, updated_at = $3 WHERE user_id = $1`, [userId, email, metadata.now]);
      }
      if (status !== undefined) {
        await this.handle(userId, { type: 'ChangeUserStatus', data: { userId, to: status, reason: statusReason ?? null } }, metadata, manager);
      }
    });
  }

  /** Whether another user already has this name (case-insensitive); a change of case of one's own name is free. */
  private async usernameTakenByAnother(username: string, userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.users WHERE lower(username) = lower($1) AND id <> $2`, [
      username,
      userId,
    ]);
    return rows.length > 0;
  }

  /**
   * Sets the user's roles in the caller's transaction (SCIM groups, after writing the roles'
   * sources in `role_assignments`); the caller mirrors the policy version after commit.
   */
  async setRoles(userId: string, roles: string[], metadata: CommandMetadata, manager: EntityManager): Promise<void> {
    await this.handle(userId, { type: 'UpdateUser', data: { userId, roles } }, metadata, manager);
  }

  /** Records that the user's authenticator is confirmed, in the caller's transaction. */
  async enableMfa(userId: string, metadata: CommandMetadata, manager: EntityManager): Promise<void> {
    await this.handle(userId, { type: 'EnableMfa', data: { userId } }, metadata, manager);
  }

  async get(userId: string): Promise<UserView> {
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT u.*, c.email FROM ${this.s}.users u LEFT JOIN ${this.s}.user_credentials c ON c.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    if (rows.length === 0) throw new UserError(UserErrorCode.NotFound, `user ${userId} not found`);
    return toView(rows[0]);
  }

  /** Users in id (creation) order, `limit` at a time; `nextCursor` is the last id of the page. */
  async list(query: ListUsersQuery): Promise<Page<UserView>> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (query.username) add((p) => `lower(u.username) = lower(${p})`, query.username);
    if (query.teamId) add((p) => `u.team_id = ${p}`, query.teamId);
    if (query.status) add((p) => `u.status = ${p}`, query.status);
    if (query.cursor) add((p) => `u.id > ${p}`, query.cursor);
    values.push(query.limit + 1);
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT u.*, c.email FROM ${this.s}.users u LEFT JOIN ${this.s}.user_credentials c ON c.user_id = u.id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY u.id LIMIT $${values.length}`,
      values,
    );
    const items = rows.slice(0, query.limit).map(toView);
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id : null };
  }

  async findForLogin(username: string): Promise<LoginCandidate | null> {
    const rows: Array<{
      id: string;
      username: string;
      status: string;
      roles: string[];
      team_id: string | null;
      password_hash: string;
      mfa_required: boolean;
    }> =
      await this.dataSource.query(
        `SELECT u.id, u.username, u.status, u.roles, u.team_id, u.mfa_required, c.password_hash
         FROM ${this.s}.users u JOIN ${this.s}.user_credentials c ON c.user_id = u.id WHERE lower(u.username) = lower($1)`,
        [username],
      );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          username: row.username,
          status: row.status,
          roles: row.roles,
          teamId: row.team_id,
          passwordHash: row.password_hash,
          mfaRequired: row.mfa_required,
        }
      : null;
  }

  async usernameExists(username: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.users WHERE lower(username) = lower($1)`, [username]);
    return rows.length > 0;
  }

  /** Every name must be a role the service knows (a default or a custom one). */
  private async checkRoles(roles: readonly string[]): Promise<void> {
    const rows: Array<{ name: string }> = await this.dataSource.query(`SELECT name FROM ${this.s}.roles WHERE name = ANY($1)`, [roles]);
    const known = new Set(rows.map((row) => row.name));
    const unknown = roles.filter((role) => !known.has(role));
    if (unknown.length > 0) throw new UserError(UserErrorCode.UnknownRole, `body.roles: unknown role ${unknown.join(', ')}`);
  }

  private async checkReferences(teamId: string | null, managerId: string | null, self?: string): Promise<void> {
    if (teamId) {
      const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.teams WHERE id = $1`, [teamId]);
      if (rows.length === 0) throw new UserError(UserErrorCode.InvalidReference, `body.teamId: team ${teamId} does not exist`);
    }
    if (managerId) {
      if (managerId === self) throw new UserError(UserErrorCode.InvalidReference, 'body.managerId: a user cannot manage themselves');
      const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.users WHERE id = $1`, [managerId]);
      if (rows.length === 0) throw new UserError(UserErrorCode.InvalidReference, `body.managerId: user ${managerId} does not exist`);
    }
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

const usernameTaken = (username: string): UserError =>
  new UserError(UserErrorCode.UsernameTaken, `user name ${username} is already taken`);

function toView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email ?? row.email_masked,
    roles: row.roles,
    teamId: row.team_id,
    managerId: row.manager_id,
    clearance: row.clearance,
    status: row.status,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
