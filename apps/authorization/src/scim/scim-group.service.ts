import { Injectable } from '@nestjs/common';
import type { ScimGroupEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PolicyVersionService } from '../policy/policy-version.service';
import { UserService } from '../users/user.service';
import { SCIM_MAX_RESULTS, ScimSchemas } from './scim.constants';
import { ScimError } from './scim.exception';
import type { ScimGroupFilter } from './scim-filter';
import { decide, evolve, initialScimGroupState, roleOfGroup, scimGroupStreamId, type ScimGroupCommand } from './scim-group.decider';
import { applyGroupPatchOps, groupToResource, type ScimGroupModel } from './scim-group.model';
import type { ScimPatchOp } from './scim-patch';
import type { JsonObject } from './scim-user.model';
import type { ScimListResponse } from './scim-user.service';

const scimGroupDecider = { initialState: initialScimGroupState, decide, evolve };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type GroupRow = { id: string; display_name: string; external_id: string | null; created_at: Date; updated_at: Date; total?: string };

/** Output options of a read: `excludedAttributes=members` leaves the member list out (what Entra ID asks for). */
export type GroupReadOptions = { baseUrl: string; members: boolean };

/**
 * SCIM Groups. Each change runs in one transaction: the `scim_groups` row (name, externalId, mapped
 * role; locked), the group's events (its projections keep `scim_group_members` and the group's
 * rows of `role_assignments`), then the roles of every affected member are set to the roles they
 * still have a source for (UserUpdated, as `system:scim`). After commit the members' policy
 * versions are mirrored to Redis.
 */
@Injectable()
export class ScimGroupService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  async list(filter: ScimGroupFilter, startIndex: number, count: number, options: GroupReadOptions): Promise<ScimListResponse> {
    const where: string[] = ['true'];
    const values: unknown[] = [];
    const p = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    for (const clause of filter) {
      switch (clause.attribute) {
        case 'id':
          where.push(`g.id::text = lower(${p(clause.value)})`);
          break;
        case 'displayName':
          where.push(`lower(g.display_name) = lower(${p(clause.value)})`);
          break;
        case 'externalId':
          where.push(`g.external_id = ${p(clause.value)}`);
          break;
        default: {
          const unknown: never = clause.attribute;
          throw ScimError.invalidFilter(`unsupported attribute ${String(unknown)}`);
        }
      }
    }
    const conditions = where.join(' AND ');
    const filterValues = [...values];
    const rows: GroupRow[] = await this.dataSource.query(
      `SELECT g.id, g.display_name, g.external_id, g.created_at, g.updated_at, count(*) OVER () AS total FROM ${this.s}.scim_groups g
       WHERE ${conditions} ORDER BY g.id OFFSET ${p(startIndex - 1)} LIMIT ${p(Math.min(count, SCIM_MAX_RESULTS))}`,
      values,
    );
    let total = rows[0] ? Number(rows[0].total) : 0;
    if (rows.length === 0) {
      const [counted]: Array<{ total: string }> = await this.dataSource.query(`SELECT count(*) AS total FROM ${this.s}.scim_groups g WHERE ${conditions}`, filterValues);
      total = Number(counted.total);
    }
    const resources = await this.resources(this.dataSource.manager, rows, options);
    return { schemas: [ScimSchemas.ListResponse], totalResults: total, startIndex, itemsPerPage: rows.length, Resources: resources };
  }

  async get(id: string, options: GroupReadOptions): Promise<JsonObject> {
    const row = await this.row(this.dataSource.manager, id, false);
    return (await this.resources(this.dataSource.manager, [row], options))[0];
  }

  async create(model: ScimGroupModel, metadata: CommandMetadata, options: GroupReadOptions): Promise<JsonObject> {
    const groupId = uuidv7();
    const changed = await this.dataSource.transaction(async (manager) => {
      await this.checkMembers(manager, model.members);
      const role = roleOfGroup(model.displayName, await this.roleNames(manager));
      await manager.query(
        `INSERT INTO ${this.s}.scim_groups (id, display_name, external_id, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
        [groupId, model.displayName, model.externalId, role, metadata.now],
      );
      return this.apply(manager, groupId, { type: 'CreateGroup', data: { groupId, role, members: model.members } }, metadata);
    });
    await this.policyVersions.mirror(changed);
    return this.get(groupId, options);
  }

  /** PUT: the group as given. */
  replace(id: string, model: ScimGroupModel, metadata: CommandMetadata, options: GroupReadOptions): Promise<JsonObject> {
    return this.mutate(id, () => model, metadata, options);
  }

  /** PATCH: the operations applied to the group as it is inside the transaction (no lost concurrent change). */
  patch(id: string, ops: readonly ScimPatchOp[], metadata: CommandMetadata, options: GroupReadOptions): Promise<JsonObject> {
    return this.mutate(id, (current) => applyGroupPatchOps(current, ops), metadata, options);
  }

  /** DELETE: every member leaves (losing the group's role), then the group goes. */
  async remove(id: string, metadata: CommandMetadata): Promise<void> {
    const changed = await this.dataSource.transaction(async (manager) => {
      const row = await this.row(manager, id, true);
      const result = await this.apply(manager, row.id, { type: 'DeleteGroup', data: { groupId: row.id } }, metadata);
      await manager.query(`DELETE FROM ${this.s}.scim_groups WHERE id = $1`, [row.id]);
      return result;
    });
    await this.policyVersions.mirror(changed);
  }

  private async mutate(id: string, change: (current: ScimGroupModel) => ScimGroupModel, metadata: CommandMetadata, options: GroupReadOptions): Promise<JsonObject> {
    const changed = await this.dataSource.transaction(async (manager) => {
      const row = await this.row(manager, id, true);
      const current: ScimGroupModel = { displayName: row.display_name, externalId: row.external_id, members: await this.memberIds(manager, row.id) };
      const next = change(current);
      const joining = next.members.filter((member) => !current.members.includes(member));
      await this.checkMembers(manager, joining);
      const role = roleOfGroup(next.displayName, await this.roleNames(manager));
      await manager.query(`UPDATE ${this.s}.scim_groups SET display_name = $2, external_id = $3, role = $4, updated_at = $5 WHERE id = $1`, [
        row.id,
        next.displayName,
        next.externalId,
        role,
        metadata.now,
      ]);
      return this.apply(manager, row.id, { type: 'ReplaceGroup', data: { groupId: row.id, role, members: next.members } }, metadata);
    });
    await this.policyVersions.mirror(changed);
    return this.get(id, options);
  }

  /** Handles the group command and brings the affected members' roles in line; returns the users whose roles changed. */
  private async apply(manager: EntityManager, groupId: string, command: ScimGroupCommand, metadata: CommandMetadata): Promise<string[]> {
    const { events } = await this.store.handle(scimGroupStreamId(groupId), scimGroupDecider, command, { metadata, manager });
    const affected = new Set<string>();
    for (const event of events as ScimGroupEvent[]) {
      if (event.type === 'ScimGroupMembersAdded' || event.type === 'ScimGroupMembersRemoved') event.data.userIds.forEach((u) => affected.add(u));
      if (event.type === 'ScimGroupRoleChanged') (await this.memberIds(manager, groupId)).forEach((u) => affected.add(u));
    }
    return this.reconcileRoles(manager, [...affected], metadata);
  }

  /**
   * Sets each user's roles to those `role_assignments` still gives a source for (their order kept,
   * new ones appended). Offboarded users are final and left as they are.
   */
  private async reconcileRoles(manager: EntityManager, userIds: string[], metadata: CommandMetadata): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows: Array<{ id: string; roles: string[]; status: string; held: string[] }> = await manager.query(
      `SELECT u.id, u.roles, u.status, coalesce(array_agg(DISTINCT a.role) FILTER (WHERE a.role IS NOT NULL), '{}') AS held
       FROM ${this.s}.users u LEFT JOIN ${this.s}.role_assignments a ON a.user_id = u.id
       WHERE u.id = ANY($1::uuid[]) GROUP BY u.id, u.roles, u.status ORDER BY u.id`,
      [userIds],
    );
    const changed: string[] = [];
    for (const row of rows) {
      if (row.status === 'offboarded') continue;
      const desired = [...row.roles.filter((role) => row.held.includes(role)), ...row.held.filter((role) => !row.roles.includes(role)).sort()];
      if (desired.length === row.roles.length && desired.every((role, i) => role === row.roles[i])) continue;
      await this.users.setRoles(row.id, desired, metadata, manager);
      changed.push(row.id);
    }
    return changed;
  }

  /** Members must be Users of this SCIM endpoint (existing, not deleted through SCIM). */
  private async checkMembers(manager: EntityManager, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT u.id FROM ${this.s}.users u LEFT JOIN ${this.s}.scim_users su ON su.user_id = u.id
       WHERE u.id = ANY($1::uuid[]) AND su.deleted_at IS NULL`,
      [userIds],
    );
    const known = new Set(rows.map((row) => row.id));
    const unknown = userIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw ScimError.invalidValue(`members: no User ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''}`);
  }

  private async roleNames(manager: EntityManager): Promise<Set<string>> {
    const rows: Array<{ name: string }> = await manager.query(`SELECT name FROM ${this.s}.roles`);
    return new Set(rows.map((row) => row.name));
  }

  private async memberIds(manager: EntityManager, groupId: string): Promise<string[]> {
    const rows: Array<{ user_id: string }> = await manager.query(`SELECT user_id FROM ${this.s}.scim_group_members WHERE group_id = $1 ORDER BY user_id`, [groupId]);
    return rows.map((row) => row.user_id);
  }

  private async row(manager: EntityManager, id: string, lock: boolean): Promise<GroupRow> {
    if (!UUID.test(id)) throw ScimError.notFound(`Group ${id} not found`);
    const rows: GroupRow[] = await manager.query(
      `SELECT id, display_name, external_id, created_at, updated_at FROM ${this.s}.scim_groups WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    if (!rows[0]) throw ScimError.notFound(`Group ${id} not found`);
    return rows[0];
  }

  private async resources(manager: EntityManager, rows: GroupRow[], options: GroupReadOptions): Promise<JsonObject[]> {
    const members = new Map<string, string[]>(rows.map((row) => [row.id, []]));
    const usernames = new Map<string, string>();
    if (options.members && rows.length > 0) {
      const found: Array<{ group_id: string; user_id: string; username: string }> = await manager.query(
        `SELECT m.group_id, m.user_id, u.username FROM ${this.s}.scim_group_members m JOIN ${this.s}.users u ON u.id = m.user_id
         WHERE m.group_id = ANY($1::uuid[]) ORDER BY m.user_id`,
        [rows.map((row) => row.id)],
      );
      for (const member of found) {
        members.get(member.group_id)?.push(member.user_id);
        usernames.set(member.user_id, member.username);
      }
    }
    return rows.map((row) =>
      groupToResource(
        { displayName: row.display_name, externalId: row.external_id, members: members.get(row.id) ?? [] },
        { id: row.id, created: row.created_at.toISOString(), lastModified: row.updated_at.toISOString(), location: `${options.baseUrl}/Groups/${row.id}` },
        { members: options.members, usernames, baseUrl: options.baseUrl },
      ),
    );
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
