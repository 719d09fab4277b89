import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexOnline, quoteSchema } from '@warden/event-store';

/**
 * `processed_messages`: the event ids each consumer has handled, written in the same transaction
 * as the handler's effect, so a redelivered message is recognised and skipped.
 * `consumer_positions`: per consumer group and partition, the offset after the last message
 * handled, written in the same transaction; it restores the group's position when Kafka has lost
 * it, and makes inbox records older than the retention safe to delete (`pruneInbox`).
 */
export function inboxMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);

  class Inbox1764374500000 implements MigrationInterface {
    name = 'Inbox1764374500000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await queryRunner.query(`
        CREATE TABLE ${s}.processed_messages (
          consumer text NOT NULL,
          event_id uuid NOT NULL,
          topic text NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        )`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.processed_messages`);
    }
  }

  /** Outside a transaction: the index is built without blocking the inbox of a running service. */
  class InboxPositions1766700000000 implements MigrationInterface {
    name = 'InboxPositions1766700000000';
    transaction = false;

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE IF NOT EXISTS ${s}.consumer_positions (
          consumer text NOT NULL,
          topic text NOT NULL,
          partition integer NOT NULL,
          next_offset bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, topic, partition)
        )`);
      await createIndexOnline(queryRunner, schema, 'processed_messages_age', 'processed_messages', '(consumer, processed_at)');
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.processed_messages_age`);
      await queryRunner.query(`DROP TABLE ${s}.consumer_positions`);
    }
  }

  return [Inbox1764374500000, InboxPositions1766700000000];
}
