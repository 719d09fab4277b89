import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { RequestValidationError } from '@warden/platform';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { createUserBody, updateUserBody } from '../users/user.dto';
import { UserService } from '../users/user.service';
import { SCIM_DEFAULT_ROLE, SCIM_MAX_RESULTS, ScimSchemas } from './scim.constants';
import { decide, evolve, initialScimUserState, scimUserStreamId, type ScimUserCommand } from './scim.decider';
import { ScimError } from './scim.exception';
import type { ScimFilter } from './scim-filter';
import { applyPatchOps, type ScimPatchOp } from './scim-patch';
import { userToResource, wardenDisplayName, wardenEmail, type JsonObject, type ScimEmail, type ScimUserModel } from './scim-user.model';

const scimUserDecider = { initialState: initialScimUserState, decide, evolve };

/** Warden statuses in which a user counts as `active` to the identity provider. */
const ACTIVE_STATUSES = ['active', 'departing'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = {
  id: string;
  username: string;
  display_name: string;
  status: string;
  manager_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  email: string | null;
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  emails: ScimEmail[] | null;
  department: string | null;
  scim_updated_at: Date | null;
  total?: string;
};

export type ScimListResponse = { schemas: string[]; totalResults: number; startIndex: number; itemsPerPage: number; Resources: JsonObject[] };

/**
 * SCIM Users over Warden's users: creation, changes and status go through UserService (its events,
 * its session revocation); SCIM-only attributes live in `scim_users`. Deprovisioning is recorded on
 * the user's `scim-user-<id>` stream (UserService owns its transactions, so not in the user's).
 */
@Injectable()
export class ScimUserService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly users: UserService,
  ) {}

  async list(filter: ScimFilter, startIndex: number, count: number, baseUrl: string): Promise<ScimListResponse> {
    const where: string[] = ['su.deleted_at IS NULL'];
    const values: unknown[] = [];
    const p = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    for (const clause of filter) {
      switch (clause.attribute) {
        case 'id':
          where.push(`u.id::text = ${p(clause.value.toLowerCase())}`);
          break;
        case 'userName':
          where.push(`lower(u.username) = lower(${p(clause.value)})`);
          break;
        case 'externalId':
          where.push(`su.external_id = ${p(clause.value)}`);
          break;
        case 'emails.value': {
          const value = p(clause.value);
          if (clause.emailType === undefined) {
            where.push(`(lower(c.email) = lower(${value}) OR EXISTS (SELECT 1 FROM jsonb_array_elements(su.emails) e WHERE lower(e->>'value') = lower(${value})))`);
          } else {
            where.push(
              `EXISTS (SELECT 1 FROM jsonb_array_elements(su.emails) e WHERE lower(e->>'value') = lower(${value}) AND lower(e->>'type') = lower(${p(clause.emailType)}))`,
            );
          }
          break;
        }
        default: {
          const unknown: never = clause.attribute;
          throw ScimError.invalidFilter(`unsupported attribute ${String(unknown)}`);
        }
      }
    }
    const limit = Math.min(Math.max(count, 0), SCIM_MAX_RESULTS);
    const rows: Row[] = await this.dataSource.query(
      `${this.select} , count(*) OVER () AS total ${this.from} WHERE ${where.join(' AND ')}
       ORDER BY u.id OFFSET ${p(Math.max(startIndex, 1) - 1)} LIMIT ${p(limit)}`,
      values,
    );
    let total = rows[0] ? Number(rows[0].total) : 0;
    if (rows.length === 0 && (limit === 0 || startIndex > 1)) {
      const counted: Array<{ total: string }> = await this.dataSource.query(
        `SELECT count(*) AS total ${this.from} WHERE ${where.join(' AND ')}`,
        values.slice(0, -2),
      );
      total = Number(counted[0].total);
    }
    return {
      schemas: [ScimSchemas.ListResponse],
      totalResults: total,
      startIndex: Math.max(startIndex, 1),
      itemsPerPage: rows.length,
      Resources: rows.map((row) => this.resource(row, baseUrl)),
    };
  }

  async get(id: string, baseUrl: string): Promise<JsonObject> {
    return this.resource(await this.row(id), baseUrl);
  }

  /** Creates a Warden user with role `staff` and a random password nobody knows: they sign in through the identity provider. */
  async create(model: ScimUserModel, metadata: CommandMetadata, baseUrl: string): Promise<JsonObject> {
    const email = wardenEmail(model);
    if (!email) throw ScimError.invalidValue('emails: an e-mail address is required');
    if (await this.users.usernameExists(model.userName)) throw ScimError.uniqueness(`userName ${model.userName} is already taken`);
    const body = createUserBody.safeParse({
      username: model.userName,
      password: randomBytes(48).toString('base64url'),
      displayName: wardenDisplayName(model),
      email,
      roles: [SCIM_DEFAULT_ROLE],
      managerId: model.managerId,
    });
    if (!body.success) throw invalid(body.error);
    const user = await this.users.create(body.data, metadata);
    await this.saveScimAttributes(user.id, model, metadata.now);
    if (!model.active) {
      await this.users.update(user.id, { status: 'disabled', statusReason: 'scim: created inactive' }, metadata);
    }
    return this.get(user.id, baseUrl);
  }

  /** PUT: the resource as given (attributes Warden keeps; a new userName renames the user, 409 `uniqueness` if taken). */
  async replace(id: string, model: ScimUserModel, metadata: CommandMetadata, baseUrl: string): Promise<JsonObject> {
    const row = await this.row(id);
    const current = toModel(row);
    const changes: Record<string, unknown> = {};
    if (model.userName !== current.userName) changes['username'] = model.userName;
    const displayName = wardenDisplayName(model);
    if (displayName !== row.display_name) changes['displayName'] = displayName;
    const email = wardenEmail(model);
    if (email && email !== row.email) changes['email'] = email;
    if (model.managerId !== row.manager_id) changes['managerId'] = model.managerId;
    const wasActive = current.active;
    if (model.active && !wasActive) changes['status'] = 'active';
    if (!model.active && wasActive) {
      changes['status'] = 'disabled';
      changes['statusReason'] = 'scim: inactive';
    }
    if (Object.keys(changes).length > 0) {
      const body = updateUserBody.safeParse(changes);
      if (!body.success) throw invalid(body.error);
      await this.users.update(id, body.data, metadata);
    }
    await this.saveScimAttributes(id, model, metadata.now);
    // Recorded after the user is disabled (and its sessions revoked); a retry of the same request
    // appends it if a failure came in between, and never twice.
    if (!model.active && (wasActive || row.status === 'disabled')) await this.provisioning(id, { type: 'DeprovisionUser', data: { userId: id, reason: 'inactive' } }, metadata);
    if (model.active && !wasActive) await this.provisioning(id, { type: 'ReprovisionUser', data: { userId: id } }, metadata);
    return this.get(id, baseUrl);
  }

  async patch(id: string, ops: readonly ScimPatchOp[], metadata: CommandMetadata, baseUrl: string): Promise<JsonObject> {
    const current = toModel(await this.row(id));
    return this.replace(id, applyPatchOps(current, ops), metadata, baseUrl);
  }

  /** DELETE: disables the user at once (sessions revoked) and hides the resource; the user's history stays. */
  async remove(id: string, metadata: CommandMetadata): Promise<void> {
    const row = await this.row(id);
    if (row.status !== 'disabled') {
      await this.users.update(id, { status: 'disabled', statusReason: 'scim: deleted' }, metadata);
    }
    await this.provisioning(id, { type: 'DeprovisionUser', data: { userId: id, reason: 'deleted' } }, metadata, async (manager) => {
      await this.upsertRow(manager, id, toModel(row), metadata.now);
      await manager.query(`UPDATE ${this.s}.scim_users SET deleted_at = $2 WHERE user_id = $1`, [id, metadata.now]);
    });
  }

  private async provisioning(
    userId: string,
    command: ScimUserCommand,
    metadata: CommandMetadata,
    alsoInTransaction?: (manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    const streamId = scimUserStreamId(userId);
    await this.dataSource.transaction(async (manager) => {
      await this.store.handle(streamId, scimUserDecider, command, { metadata, manager });
      if (alsoInTransaction) await alsoInTransaction(manager);
    });
  }

  private async saveScimAttributes(userId: string, model: ScimUserModel, now: Date): Promise<void> {
    await this.upsertRow(this.dataSource.manager, userId, model, now);
  }

  private async upsertRow(manager: EntityManager, userId: string, model: ScimUserModel, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.scim_users (user_id, external_id, given_name, family_name, emails, department, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (user_id) DO UPDATE SET external_id = $2, given_name = $3, family_name = $4, emails = $5, department = $6, updated_at = $7`,
      [userId, model.externalId, model.givenName, model.familyName, JSON.stringify(model.emails), model.department, now],
    );
  }

  private async row(id: string): Promise<Row> {
    if (!UUID.test(id)) throw ScimError.notFound(`User ${id} not found`);
    const rows: Row[] = await this.dataSource.query(`${this.select} ${this.from} WHERE u.id = $1 AND su.deleted_at IS NULL`, [id]);
    if (!rows[0]) throw ScimError.notFound(`User ${id} not found`);
    return rows[0];
  }

  private resource(row: Row, baseUrl: string): JsonObject {
    const updated = row.scim_updated_at && row.scim_updated_at > row.updated_at ? row.scim_updated_at : row.updated_at;
    return userToResource(toModel(row), {
      id: row.id,
      created: row.created_at.toISOString(),
      lastModified: updated.toISOString(),
      version: row.version,
      location: `${baseUrl}/Users/${row.id}`,
    });
  }

  private get select(): string {
    return `SELECT u.id, u.username, u.display_name, u.status, u.manager_id, u.version, u.created_at, u.updated_at, c.email,
      su.external_id, su.given_name, su.family_name, su.emails, su.department, su.updated_at AS scim_updated_at`;
  }

  private get from(): string {
    return `FROM ${this.s}.users u LEFT JOIN ${this.s}.user_credentials c ON c.user_id = u.id LEFT JOIN ${this.s}.scim_users su ON su.user_id = u.id`;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

const invalid = (error: Parameters<typeof RequestValidationError.fromZod>[0]): ScimError =>
  ScimError.invalidValue(RequestValidationError.fromZod(error, 'user').issues.join('; '));

function toModel(row: Row): ScimUserModel {
  const emails = row.emails && row.emails.length > 0 ? row.emails : row.email ? [{ value: row.email, type: 'work', primary: true }] : [];
  return {
    userName: row.username,
    externalId: row.external_id,
    active: ACTIVE_STATUSES.includes(row.status),
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    emails,
    department: row.department,
    managerId: row.manager_id,
  };
}
