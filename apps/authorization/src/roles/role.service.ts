import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { RoleEvent } from '@warden/contracts';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import { DEFAULT_ROLES } from '@warden/security';
import { DataSource } from 'typeorm';
import { systemMetadata } from '../core/request-metadata';
import { PolicyVersionService } from '../policy/policy-version.service';
import type { RoleCommand } from './role.commands';
import { decide, evolve, initialRoleState } from './role.decider';
import type { CreateRoleBody, RoleView, UpdateRoleBody } from './role.dto';
import { RoleError, RoleErrorCode } from './role.exception';

const roleDecider = { initialState: initialRoleState, decide, evolve };

type RoleRow = {
  name: string;
  description: string;
  permissions: unknown[];
  mfa_required: boolean;
  built_in: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
};

export const roleStreamId = (name: string): string => `role-${name}`;

/**
 * Roles, event-sourced (`role-<name>` streams) with the `roles` read model. The product's
 * defaults (libs/security `DEFAULT_ROLES`) are defined at module init, before the bootstrap admin
 * is created: only those missing, so a default changed by an admin is kept, and safe with several
 * instances (the stream version decides).
 */
@Injectable()
export class RoleService implements OnModuleInit {
  private readonly logger = new Logger('Roles');

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  async onModuleInit(): Promise<void> {
    const metadata = systemMetadata('seed-default-roles');
    let seeded = 0;
    for (const role of DEFAULT_ROLES) {
      try {
        const events = await this.handle(role.name, { type: 'DefineRole', data: { ...role, builtIn: true } }, metadata);
        seeded += events.length;
      } catch (error) {
        const taken = (error instanceof RoleError && error.code === RoleErrorCode.AlreadyExists) || error instanceof StreamVersionConflict;
        if (!taken) throw error;
      }
    }
    if (seeded > 0) this.logger.log({ seeded }, 'defined the default roles');
  }

  private async handle(name: string, command: RoleCommand, metadata: CommandMetadata): Promise<RoleEvent[]> {
    return (await this.store.handle(roleStreamId(name), roleDecider, command, { metadata })).events;
  }

  async create(body: CreateRoleBody, metadata: CommandMetadata): Promise<RoleView> {
    try {
      await this.handle(body.name, { type: 'DefineRole', data: { ...body, builtIn: false } }, metadata);
    } catch (error) {
      if (error instanceof StreamVersionConflict) throw new RoleError(RoleErrorCode.AlreadyExists, `role ${body.name} already exists`);
      throw error;
    }
    return this.get(body.name);
  }

  /** Replaces the definition; every holder's policy version is bumped (in the projection) and mirrored. */
  async update(name: string, body: UpdateRoleBody, metadata: CommandMetadata): Promise<RoleView> {
    await this.handle(name, { type: 'UpdateRole', data: { name, ...body } }, metadata);
    await this.policyVersions.mirrorSince(metadata.now);
    return this.get(name);
  }

  async list(): Promise<RoleView[]> {
    const rows: RoleRow[] = await this.dataSource.query(`SELECT * FROM ${this.s}.roles ORDER BY name LIMIT 1000`);
    return rows.map(toView);
  }

  async get(name: string): Promise<RoleView> {
    const rows: RoleRow[] = await this.dataSource.query(`SELECT * FROM ${this.s}.roles WHERE name = $1`, [name]);
    if (rows.length === 0) throw new RoleError(RoleErrorCode.NotFound, `role ${name} not found`);
    return toView(rows[0]);
  }

  /** Whether any of `roles` requires two-factor authentication (the roles read model; unknown names require nothing). */
  async mfaRequiredFor(roles: readonly string[]): Promise<boolean> {
    if (roles.length === 0) return false;
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.roles WHERE name = ANY($1::text[]) AND mfa_required LIMIT 1`, [
      [...roles],
    ]);
    return rows.length > 0;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: RoleRow): RoleView {
  return {
    name: row.name,
    description: row.description,
    permissions: row.permissions,
    mfaRequired: row.mfa_required,
    builtIn: row.built_in,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
