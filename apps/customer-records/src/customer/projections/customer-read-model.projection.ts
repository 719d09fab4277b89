import type { CustomerRegisteredData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `customers`: one row per customer, kept in the transaction that appends its events. Sensitive
 * fields are stored as ciphertexts (and blind indexes for exact search), never in clear.
 */
export function customerReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-read-model',
    handles: ['CustomerRegistered'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const data = event.data as CustomerRegisteredData;
        const { mobile, email, nationalId, address } = data.sensitive;
        await manager.query(
          `INSERT INTO ${s}.customers (id, name, company, tags, classification, owner_id, team_id, status, version,
             created_at, updated_at, mobile_ciphertext, mobile_index, email_ciphertext, email_index,
             national_id_ciphertext, national_id_index, address_ciphertext)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9, $10, $11, $12, $13, $14, $15, $16)`,
          [data.customerId, data.name, data.company, data.tags, data.classification, data.ownerId, data.teamId,
            event.streamVersion, event.occurredAt, mobile?.ciphertext ?? null, mobile?.index ?? null,
            email?.ciphertext ?? null, email?.index ?? null, nationalId?.ciphertext ?? null,
            nationalId?.index ?? null, address?.ciphertext ?? null],
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
  class CustomerSensitiveFields1764800000001 implements MigrationInterface {
    name = 'CustomerSensitiveFields1764800000001';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          ADD COLUMN mobile_ciphertext text,
          ADD COLUMN mobile_index text,
          ADD COLUMN email_ciphertext text,
          ADD COLUMN email_index text,
          ADD COLUMN national_id_ciphertext text,
          ADD COLUMN national_id_index text,
          ADD COLUMN address_ciphertext text`);
      // Exact search pages by id within one index value.
      await queryRunner.query(`CREATE INDEX customers_mobile_index ON ${s}.customers (mobile_index, id)`);
      await queryRunner.query(`CREATE INDEX customers_email_index ON ${s}.customers (email_index, id)`);
      await queryRunner.query(`CREATE INDEX customers_national_id_index ON ${s}.customers (national_id_index, id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.customers_mobile_index, ${s}.customers_email_index, ${s}.customers_national_id_index`);
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          DROP COLUMN mobile_ciphertext, DROP COLUMN mobile_index, DROP COLUMN email_ciphertext,
          DROP COLUMN email_index, DROP COLUMN national_id_ciphertext, DROP COLUMN national_id_index,
          DROP COLUMN address_ciphertext`);
    }
  }
  /**
   * `shared_with`: the users a customer is shared with, read by the policy's `sharedWithMe`
   * condition (the partner role) in the SQL filter. No event shares a customer yet, so every row
   * holds `{}` and a partner sees no customer: deny by default until sharing is built.
   */
  class CustomerSharedWith1764900000000 implements MigrationInterface {
    name = 'CustomerSharedWith1764900000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.customers ADD COLUMN shared_with text[] NOT NULL DEFAULT '{}'`);
      await queryRunner.query(`CREATE INDEX customers_shared_with ON ${s}.customers USING gin (shared_with)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.customers_shared_with`);
      await queryRunner.query(`ALTER TABLE ${s}.customers DROP COLUMN shared_with`);
    }
  }
  return [CustomerReadModel1764375000000, CustomerSensitiveFields1764800000001, CustomerSharedWith1764900000000];
}
