import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PolicyVersionService } from '../policy/policy-version.service';
import type { TeamCommand } from './team.commands';
import { decide, evolve, initialTeamState } from './team.decider';
import type { CreateTeamBody, TeamView } from './team.dto';
import { TeamError, TeamErrorCode } from './team.exception';

const teamDecider = { initialState: initialTeamState, decide, evolve };

type TeamRow = { id: string; name: string; parent_id: string | null; supervisor_id: string | null; version: number; created_at: Date };

export const teamStreamId = (teamId: string): string => `team-${teamId}`;

@Injectable()
export class TeamService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly policyVersions: PolicyVersionService,
  ) {}

  private async handle(teamId: string, command: TeamCommand, metadata: CommandMetadata): Promise<void> {
    await this.store.handle(teamStreamId(teamId), teamDecider, command, { metadata });
  }

  async create(body: CreateTeamBody, metadata: CommandMetadata): Promise<TeamView> {
    if (body.parentId && !(await this.exists('teams', body.parentId))) {
      throw new TeamError(TeamErrorCode.InvalidReference, `body.parentId: team ${body.parentId} does not exist`);
    }
    if (body.supervisorId && !(await this.exists('users', body.supervisorId))) {
      throw new TeamError(TeamErrorCode.InvalidReference, `body.supervisorId: user ${body.supervisorId} does not exist`);
    }
    const teamId = uuidv7();
    try {
      await this.handle(teamId, { type: 'CreateTeam', data: { teamId, ...body } }, metadata);
    } catch (error) {
      if ((error as { code?: unknown }).code === '23505') {
        throw new TeamError(TeamErrorCode.NameTaken, `team name ${body.name} is already taken`);
      }
      throw error;
    }
    // A sub-team widens its ancestors' supervisors' scope: their versions were bumped with the event.
    await this.policyVersions.mirrorSince(metadata.now);
    const [row] = await this.rows(`WHERE id = $1`, [teamId]);
    return toView(row);
  }

  async list(): Promise<TeamView[]> {
    return (await this.rows('', [])).map(toView);
  }

  private rows(where: string, values: unknown[]): Promise<TeamRow[]> {
    return this.dataSource.query(`SELECT * FROM ${this.s}.teams ${where} ORDER BY name LIMIT 1000`, values);
  }

  private async exists(table: 'teams' | 'users', id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.${table} WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: TeamRow): TeamView {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    supervisorId: row.supervisor_id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
  };
}
