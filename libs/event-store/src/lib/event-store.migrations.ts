import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteSchema } from './event-store.sql';

/**
 * The event store's tables in a service's schema: the append-only `events` log (also the outbox
 * the relay publishes from), `streams` (current version and last hash per stream, the target of
 * the optimistic-concurrency check) and `relay_checkpoints`.
 */
export function eventStoreMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);

  class EventStore1764374400000 implements MigrationInterface {
    name = 'EventStore1764374400000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await queryRunner.query(`
        CREATE TABLE ${s}.events (
          global_position bigserial PRIMARY KEY,
          event_id uuid NOT NULL UNIQUE,
          stream_id text NOT NULL,
          stream_version integer NOT NULL CHECK (stream_version > 0),
          type text NOT NULL,
          schema_version integer NOT NULL CHECK (schema_version > 0),
          occurred_at timestamptz NOT NULL,
          actor jsonb NOT NULL,
          correlation_id text NOT NULL,
          causation_id text,
          data jsonb NOT NULL,
          prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
          hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
          transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          UNIQUE (stream_id, stream_version)
        )`);
      await queryRunner.query(`CREATE INDEX events_log_order ON ${s}.events (transaction_id, global_position)`);
      await queryRunner.query(`
        CREATE TABLE ${s}.streams (
          stream_id text PRIMARY KEY,
          stream_version integer NOT NULL,
          last_hash text NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(`
        CREATE TABLE ${s}.relay_checkpoints (
          name text PRIMARY KEY,
          transaction_id xid8 NOT NULL,
          global_position bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(`
        CREATE FUNCTION ${s}.events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${s}.events
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.events_are_append_only()`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.relay_checkpoints`);
      await queryRunner.query(`DROP TABLE ${s}.streams`);
      await queryRunner.query(`DROP TRIGGER events_append_only ON ${s}.events`);
      await queryRunner.query(`DROP TABLE ${s}.events`);
      await queryRunner.query(`DROP FUNCTION ${s}.events_are_append_only()`);
    }
  }

  return [EventStore1764374400000];
}

/** Above this size a table's new index is built `CONCURRENTLY` (slower, but writes go on). */
const ONLINE_INDEX_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Builds an index on a table that may already be large when the migration runs: over 64 MB, with
 * `CREATE INDEX CONCURRENTLY`, so that writes to the table go on meanwhile (the build waits for
 * the transactions open in the database); a smaller table (a new deployment, a test schema) gets a
 * plain `CREATE INDEX`, which takes a moment. The migration must run outside a transaction
 * (`transaction = false` on its class). An invalid index left by an interrupted concurrent build is
 * dropped and built again; a valid one is kept, so the migration can be run again. `spec` is what
 * follows the table (`(columns)`, `USING gin (…)`, a `WHERE`).
 */
export async function createIndexOnline(
  q: QueryRunner,
  schema: string,
  name: string,
  table: string,
  spec: string,
  options: { onlineAboveBytes?: number } = {},
): Promise<void> {
  const target = `${quoteSchema(schema)}.${table}`;
  const rows: Array<{ valid: boolean }> = await q.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  if (rows[0]?.valid) return;
  if (rows.length) await q.query(`DROP INDEX CONCURRENTLY ${quoteSchema(schema)}.${name}`);
  const [{ bytes }]: Array<{ bytes: string }> = await q.query(`SELECT pg_relation_size($1::regclass) AS bytes`, [target]);
  const online = Number(bytes) > (options.onlineAboveBytes ?? ONLINE_INDEX_MIN_BYTES);
  await q.query(`CREATE INDEX ${online ? 'CONCURRENTLY ' : ''}${name} ON ${target} ${spec}`);
}
