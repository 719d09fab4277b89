import type { ConsentChangedData, CustomerErasedData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `customer_consent_changes`: every consent given or withdrawn, with who recorded it and when; the
 * current consent per purpose is the latest change. Erasure deletes a customer's.
 */
export function customerConsentsProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-consents',
    handles: ['ConsentGranted', 'ConsentWithdrawn', 'CustomerErased'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'CustomerErased') {
          const data = event.data as CustomerErasedData;
          await manager.query(`DELETE FROM ${s}.customer_consent_changes WHERE customer_id = $1`, [data.customerId]);
          continue;
        }
        const data = event.data as ConsentChangedData;
        await manager.query(
          `INSERT INTO ${s}.customer_consent_changes
             (customer_id, stream_version, purpose, granted, template_version, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [data.customerId, event.streamVersion, data.purpose, event.type === 'ConsentGranted', data.templateVersion,
            event.actor.userId, event.occurredAt],
        );
      }
    },
  };
}

export function customerConsentsMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerConsents1766000000002 implements MigrationInterface {
    name = 'CustomerConsents1766000000002';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_consent_changes (
          customer_id uuid NOT NULL,
          stream_version integer NOT NULL,
          purpose text NOT NULL,
          granted boolean NOT NULL,
          template_version text NOT NULL,
          recorded_by text NOT NULL,
          recorded_at timestamptz NOT NULL,
          PRIMARY KEY (customer_id, stream_version)
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_consent_changes`);
    }
  }
  return [CustomerConsents1766000000002];
}
