import type { EventEnvelope, TeamCreatedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `teams`: one row per team. */
export function teamReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'team-read-model',
    handles: ['TeamCreated'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const d = event.data as TeamCreatedData;
        await manager.query(
          `INSERT INTO ${s}.teams (id, name, parent_id, supervisor_id, version, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
          [d.teamId, d.name, d.parentId, d.supervisorId, event.streamVersion, event.occurredAt],
        );
      }
    },
  };
}

export function teamReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class TeamReadModel1764400050000 implements MigrationInterface {
    name = 'TeamReadModel1764400050000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.teams (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          parent_id uuid,
          supervisor_id uuid,
          version integer NOT NULL,
          created_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE UNIQUE INDEX teams_name ON ${s}.teams (lower(name))`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.teams`);
    }
  }
  return [TeamReadModel1764400050000];
}
