import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk imports (`POST /v1/customers/import`): one row per import with its progress, and the
 * per-row errors (row number, field, message; never a submitted value).
 */
export function customerImportMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerImports1765600000000 implements MigrationInterface {
    name = 'CustomerImports1765600000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_imports (
          id uuid PRIMARY KEY,
          requested_by text NOT NULL,
          format text NOT NULL,
          status text NOT NULL,
          rows_total integer,
          rows_done integer NOT NULL DEFAULT 0,
          rows_failed integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        )`);
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_import_errors (
          id bigserial PRIMARY KEY,
          import_id uuid NOT NULL REFERENCES ${s}.customer_imports (id) ON DELETE CASCADE,
          row_number integer NOT NULL,
          field text NOT NULL,
          message text NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX customer_import_errors_import ON ${s}.customer_import_errors (import_id, id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_import_errors`);
      await queryRunner.query(`DROP TABLE ${s}.customer_imports`);
    }
  }
  /**
   * Imports that survive a restart: the upload's ciphertext in `customer_import_chunks` (the key
   * that decrypts it is encrypted under a data key of the import, shredded when it ends), the
   * requester to resume as, and `rows_read`: the rows (1..rows_read) whose outcome is saved.
   * `spool` and `requester` are cleared, and the chunks deleted, once the import has ended.
   */
  class CustomerImportResume1766300000000 implements MigrationInterface {
    name = 'CustomerImportResume1766300000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.customer_imports
          ADD COLUMN rows_read integer NOT NULL DEFAULT 0,
          ADD COLUMN spool jsonb,
          ADD COLUMN requester jsonb`);
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_import_chunks (
          import_id uuid NOT NULL REFERENCES ${s}.customer_imports (id) ON DELETE CASCADE,
          seq integer NOT NULL,
          data bytea NOT NULL,
          PRIMARY KEY (import_id, seq)
        )`);
      await queryRunner.query(`CREATE INDEX customer_imports_running ON ${s}.customer_imports (created_at) WHERE status = 'running'`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.customer_imports_running`);
      await queryRunner.query(`DROP TABLE ${s}.customer_import_chunks`);
      await queryRunner.query(`ALTER TABLE ${s}.customer_imports DROP COLUMN rows_read, DROP COLUMN spool, DROP COLUMN requester`);
    }
  }
  return [CustomerImports1765600000000, CustomerImportResume1766300000000];
}
