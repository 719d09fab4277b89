import type { CustomerErasedData, CustomerNoteAddedData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `customer_notes`: each note's body as its ciphertext (never in clear), its author (the event's
 * actor) and time. Erasure deletes a customer's notes (their key is shredded as well).
 */
export function customerNotesProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-notes',
    handles: ['CustomerNoteAdded', 'CustomerErased'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'CustomerNoteAdded') {
          const data = event.data as CustomerNoteAddedData;
          await manager.query(
            `INSERT INTO ${s}.customer_notes (note_id, customer_id, body_ciphertext, author_id, created_at)
             VALUES ($1, $2, $3, $4, $5)`,
            [data.noteId, data.customerId, data.body.ciphertext, event.actor.userId, event.occurredAt],
          );
        } else {
          const data = event.data as CustomerErasedData;
          await manager.query(`DELETE FROM ${s}.customer_notes WHERE customer_id = $1`, [data.customerId]);
        }
      }
    },
  };
}

export function customerNotesMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerNotes1766000000000 implements MigrationInterface {
    name = 'CustomerNotes1766000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_notes (
          note_id uuid PRIMARY KEY,
          customer_id uuid NOT NULL,
          body_ciphertext text NOT NULL,
          author_id text NOT NULL,
          created_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX customer_notes_customer ON ${s}.customer_notes (customer_id, note_id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_notes`);
    }
  }
  return [CustomerNotes1766000000000];
}
