import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteSchema } from '@warden/event-store';

/**
 * `processed_messages`: the event ids each consumer has handled, written in the same transaction
 * as the handler's effect, so a redelivered message is recognised and skipped.
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

  return [Inbox1764374500000];
}
