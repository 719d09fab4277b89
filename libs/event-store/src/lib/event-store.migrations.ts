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
