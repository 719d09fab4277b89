import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read indexes of the list filters (`GET /v1/customers`, the exports stream), on the read model's
 * `customers` table: GIN on `tags` (`tags @> …`), and trigram GIN indexes on `name` and `company`
 * for `q` (case-insensitive substring, `ILIKE '%…%'`) when the `pg_trgm` extension is available.
 *
 * Fallback: when `pg_trgm` cannot be created (an unprivileged role on a server without it), the
 * migration still succeeds without the two trigram indexes; `q` then works the same, by a scan of
 * the rows the other conditions and the caller's view leave (correct, slower on large tables).
 * Postgres 13+ marks `pg_trgm` as trusted, so a database owner may create it.
 */
export function customerReadIndexMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerReadIndexes1765500000000 implements MigrationInterface {
    name = 'CustomerReadIndexes1765500000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS customers_tags ON ${s}.customers USING gin (tags)`);
      // Concurrent migrations of other schemas may create the extension at the same moment: tolerated.
      await queryRunner.query(`
        DO $$ BEGIN
          CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
          RAISE NOTICE 'pg_trgm is not available (%): q filters without a trigram index', SQLERRM;
        END $$`);
      await queryRunner.query(`
        DO $$
        DECLARE ops text;
        BEGIN
          SELECT format('%I.gin_trgm_ops', n.nspname) INTO ops
            FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
          IF ops IS NOT NULL THEN
            EXECUTE format('CREATE INDEX IF NOT EXISTS customers_name_trgm ON %s.customers USING gin (name %s)', '${s}', ops);
            EXECUTE format('CREATE INDEX IF NOT EXISTS customers_company_trgm ON %s.customers USING gin (company %s)', '${s}', ops);
          END IF;
        END $$`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX IF EXISTS ${s}.customers_name_trgm`);
      await queryRunner.query(`DROP INDEX IF EXISTS ${s}.customers_company_trgm`);
      await queryRunner.query(`DROP INDEX IF EXISTS ${s}.customers_tags`);
    }
  }
  /**
   * Keyset indexes for the caller's view: lists and the exports stream read `ORDER BY id` after a
   * cursor within `owner_id = $me` (staff) or `team_id = ANY($teams)` (supervisors). With only
   * `(owner_id)` / `(team_id)` Postgres either walks the primary key filtering out other owners'
   * rows (13 ms for a 50-row page of a 5% owner at 100k rows) or fetches every matching row and
   * sorts it per page; `(owner_id, id)` / `(team_id, id)` read exactly the page (0.2 ms). They
   * make the single-column `customers_owner` / `customers_team` redundant (those belong to the
   * read-model migration and are left in place).
   */
  class CustomerViewKeysetIndexes1766100000000 implements MigrationInterface {
    name = 'CustomerViewKeysetIndexes1766100000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS customers_owner_id_keyset ON ${s}.customers (owner_id, id)`);
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS customers_team_id_keyset ON ${s}.customers (team_id, id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX IF EXISTS ${s}.customers_team_id_keyset`);
      await queryRunner.query(`DROP INDEX IF EXISTS ${s}.customers_owner_id_keyset`);
    }
  }
  return [CustomerReadIndexes1765500000000, CustomerViewKeysetIndexes1766100000000];
}
