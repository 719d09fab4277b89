import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit store:
 * - `trail`: every event as received (`envelope`), with the columns searches use, partitioned by
 *   the month of `occurred_at`; `position` is the indexing order and the event's Merkle leaf index.
 * - `trail_ids`: event id → position, global uniqueness (a partitioned table cannot hold a unique
 *   index on event_id alone) and the lookup behind inclusion proofs. Kept past retention.
 * - `merkle_nodes`: every complete subtree of the Merkle tree (level 0 = leaves), so proofs read
 *   O(log² n) nodes instead of rehashing the trail.
 * - `stream_heads`: the last version and hash seen per (topic, stream), for the check on arrival.
 * - `chain_breaks`, `checkpoints`, `retention_drops`, `verification_runs`, `reports`.
 * - `trail.source` / `trail.source_position` (second migration): the service whose event store
 *   wrote the event (NULL when the envelope does not tell, see `sourceOf`) and the event's
 *   `globalPosition`, so verification can check the trail against each source's own order (both
 *   NULL for rows indexed before the migration).
 * Everything that is evidence is append-only (triggers refuse UPDATE, DELETE and TRUNCATE); the
 * retention job only drops whole month partitions past retention.
 */
export function auditMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);

  class AuditTrail1764460800000 implements MigrationInterface {
    name = 'AuditTrail1764460800000';

    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE FUNCTION ${s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'the audit trail is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
        END $$`);
      await q.query(`
        CREATE TABLE ${s}.trail (
          position bigint NOT NULL,
          event_id uuid NOT NULL,
          topic text NOT NULL,
          stream_id text NOT NULL,
          stream_version integer NOT NULL,
          type text NOT NULL,
          occurred_at timestamptz NOT NULL,
          actor_id text NOT NULL,
          actor_ip text,
          user_id text,
          customer_id text,
          correlation_id text NOT NULL,
          hash text NOT NULL,
          envelope jsonb NOT NULL,
          indexed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (position, occurred_at)
        ) PARTITION BY RANGE (occurred_at)`);
      for (const index of [
        `(occurred_at DESC, position DESC)`,
        `(actor_id, occurred_at DESC, position DESC)`,
        `(user_id, occurred_at DESC, position DESC) WHERE user_id IS NOT NULL`,
        `(customer_id, occurred_at DESC, position DESC) WHERE customer_id IS NOT NULL`,
        `(type, occurred_at DESC, position DESC)`,
        `(topic, occurred_at DESC, position DESC)`,
        `(correlation_id)`,
        `(actor_ip, occurred_at DESC) WHERE actor_ip IS NOT NULL`,
        `USING gin ((envelope -> 'data' -> 'customerIds') jsonb_path_ops)`,
      ]) {
        await q.query(`CREATE INDEX ON ${s}.trail ${index}`);
      }
      await q.query(`
        CREATE TRIGGER trail_append_only BEFORE UPDATE OR DELETE ON ${s}.trail
        FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_change()`);
      await q.query(`
        CREATE TRIGGER trail_no_truncate BEFORE TRUNCATE ON ${s}.trail
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_change()`);
      // Creates the partition of a month (idempotent); each partition refuses TRUNCATE on its own.
      await q.query(`
        CREATE FUNCTION ${s}.ensure_trail_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
          start date := date_trunc('month', month)::date;
          name text := 'trail_' || to_char(start, 'YYYY_MM');
        BEGIN
          IF to_regclass(format('%I.%I', '${schema}', name)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.trail FOR VALUES FROM (%L) TO (%L)',
              '${schema}', name, '${schema}', start, (start + interval '1 month')::date);
            EXECUTE format('CREATE TRIGGER no_truncate BEFORE TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.refuse_change()',
              '${schema}', name, '${schema}');
          END IF;
          RETURN name;
        END $$`);
      await q.query(`
        CREATE TABLE ${s}.trail_ids (
          event_id uuid PRIMARY KEY,
          position bigint NOT NULL UNIQUE,
          occurred_at timestamptz NOT NULL,
          topic text NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.merkle_nodes (
          level smallint NOT NULL CHECK (level >= 0),
          idx bigint NOT NULL CHECK (idx >= 0),
          hash bytea NOT NULL CHECK (length(hash) = 32),
          PRIMARY KEY (level, idx)
        )`);
      await q.query(`
        CREATE TABLE ${s}.stream_heads (
          topic text NOT NULL,
          stream_id text NOT NULL,
          stream_version integer NOT NULL,
          last_hash text NOT NULL,
          PRIMARY KEY (topic, stream_id)
        )`);
      await q.query(`
        CREATE TABLE ${s}.chain_breaks (
          id bigserial PRIMARY KEY,
          position bigint NOT NULL,
          event_id uuid NOT NULL,
          topic text NOT NULL,
          stream_id text NOT NULL,
          stream_version integer NOT NULL,
          reason text NOT NULL,
          detected_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.checkpoints (
          tree_size bigint PRIMARY KEY,
          root_hash text NOT NULL,
          issued_at timestamptz NOT NULL,
          issued_at_text text NOT NULL,
          key_id text NOT NULL,
          public_key text NOT NULL,
          signature text NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.retention_drops (
          partition text PRIMARY KEY,
          month_start date NOT NULL,
          dropped_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.verification_runs (
          id bigserial PRIMARY KEY,
          finished_at timestamptz NOT NULL DEFAULT now(),
          ok boolean NOT NULL,
          tree_size bigint NOT NULL,
          checked bigint NOT NULL,
          result jsonb NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.reports (
          period text NOT NULL,
          generated_at timestamptz NOT NULL DEFAULT now(),
          trigger text NOT NULL,
          body jsonb NOT NULL,
          PRIMARY KEY (period, generated_at)
        )`);
      for (const table of ['trail_ids', 'merkle_nodes', 'chain_breaks', 'checkpoints', 'retention_drops', 'verification_runs', 'reports']) {
        await q.query(`
          CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${s}.${table}
          FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_change()`);
      }
    }

    async down(q: QueryRunner): Promise<void> {
      for (const table of ['reports', 'verification_runs', 'retention_drops', 'checkpoints', 'chain_breaks', 'stream_heads', 'merkle_nodes', 'trail_ids', 'trail']) {
        await q.query(`DROP TABLE ${s}.${table}`);
      }
      await q.query(`DROP FUNCTION ${s}.ensure_trail_partition(date)`);
      await q.query(`DROP FUNCTION ${s}.refuse_change()`);
    }
  }

  class AuditTrailSourcePosition1795910400000 implements MigrationInterface {
    name = 'AuditTrailSourcePosition1795910400000';

    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.trail ADD COLUMN source text, ADD COLUMN source_position bigint`);
      await q.query(
        `CREATE INDEX trail_source_position_idx ON ${s}.trail (source, source_position) WHERE source IS NOT NULL`,
      );
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX ${s}.trail_source_position_idx`);
      await q.query(`ALTER TABLE ${s}.trail DROP COLUMN source_position, DROP COLUMN source`);
    }
  }

  return [AuditTrail1764460800000, AuditTrailSourcePosition1795910400000];
}
