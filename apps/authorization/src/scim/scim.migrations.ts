import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `scim_tokens`: bearer tokens of identity providers, stored as SHA-256 only. `scim_users`: the
 * SCIM attributes Warden keeps besides the user read model (externalId, name parts, e-mail list,
 * department) and whether the resource was deleted through SCIM. Runs after the user read model.
 */
export function scimMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class ScimProvisioning1764500000000 implements MigrationInterface {
    name = 'ScimProvisioning1764500000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.scim_tokens (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          token_hash bytea NOT NULL UNIQUE,
          created_by text NOT NULL,
          created_at timestamptz NOT NULL,
          last_used_at timestamptz,
          revoked_at timestamptz
        )`);
      await queryRunner.query(`
        CREATE TABLE ${s}.scim_users (
          user_id uuid PRIMARY KEY REFERENCES ${s}.users (id),
          external_id text,
          given_name text,
          family_name text,
          emails jsonb NOT NULL DEFAULT '[]',
          department text,
          deleted_at timestamptz,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX scim_users_external_id ON ${s}.scim_users (external_id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.scim_users`);
      await queryRunner.query(`DROP TABLE ${s}.scim_tokens`);
    }
  }
  return [ScimProvisioning1764500000000];
}
