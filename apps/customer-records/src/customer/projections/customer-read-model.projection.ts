import type { CustomerRegisteredData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `customers`: one row per customer, kept in the transaction that appends its events. */
export function customerReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-read-model',
    handles: ['CustomerRegistered'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const data = event.data as CustomerRegisteredData;
        await manager.query(
          `INSERT INTO ${s}.customers (id, name, company, tags, classification, owner_id, team_id, status, version,
             created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9)`,
          [data.customerId, data.name, data.company, data.tags, data.classification, data.ownerId, data.teamId,
            event.streamVersion, event.occurredAt],
        );
      }
    },
  };
}

export function customerReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerReadModel1764375000000 implements MigrationInterface {
    name = 'CustomerReadModel1764375000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customers (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          company text,
          tags text[] NOT NULL DEFAULT '{}',
          classification text NOT NULL,
          owner_id text,
          team_id text,
          status text NOT NULL,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX customers_owner ON ${s}.customers (owner_id)`);
      await queryRunner.query(`CREATE INDEX customers_team ON ${s}.customers (team_id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customers`);
    }
  }
  return [CustomerReadModel1764375000000];
}
