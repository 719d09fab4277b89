import type { EventEnvelope, RoleDefinedData, RoleUpdatedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `roles`: one row per role (defaults and custom), the definitions the policy compiles. */
export function roleReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'role-read-model',
    handles: ['RoleDefined', 'RoleUpdated'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'RoleDefined') {
          const d = event.data as RoleDefinedData;
          await manager.query(
            `INSERT INTO ${s}.roles (name, description, permissions, mfa_required, built_in, version, created_at, updated_at)
             VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $7)`,
            [d.name, d.description, JSON.stringify(d.permissions), d.mfaRequired, d.builtIn, event.streamVersion, event.occurredAt],
          );
        } else if (event.type === 'RoleUpdated') {
          const d = event.data as RoleUpdatedData;
          await manager.query(
            `UPDATE ${s}.roles SET description = $2, permissions = $3::jsonb, mfa_required = $4, version = $5, updated_at = $6 WHERE name = $1`,
            [d.name, d.description, JSON.stringify(d.permissions), d.mfaRequired, event.streamVersion, event.occurredAt],
          );
        }
      }
    },
  };
}

export function roleReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class RoleReadModel1764400300000 implements MigrationInterface {
    name = 'RoleReadModel1764400300000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.roles (
          name text PRIMARY KEY,
          description text NOT NULL,
          permissions jsonb NOT NULL,
          mfa_required boolean NOT NULL,
          built_in boolean NOT NULL,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.roles`);
    }
  }
  return [RoleReadModel1764400300000];
}
