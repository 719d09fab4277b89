import type { CustomerErasedData, CustomerEvent, CustomerRegisteredData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `customers`: one row per customer, kept in the transaction that appends its events. Sensitive
 * fields are stored as ciphertexts (and blind indexes for exact search), never in clear. An erased
 * customer keeps only what audit needs: id, status, version, timestamps, classification, owner,
 * team and shares; its name, company, tags, ciphertexts and blind indexes are cleared.
 */
export function customerReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-read-model',
    handles: ['CustomerRegistered', 'CustomerErased'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const type = event.type as CustomerEvent['type'];
        switch (type) {
          case 'CustomerRegistered': {
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
            break;
          }
          case 'CustomerErased': {
            const data = event.data as CustomerErasedData;
            await manager.query(
              `UPDATE ${s}.customers SET status = 'erased', name = NULL, company = NULL, tags = '{}',
                 mobile_ciphertext = NULL, mobile_index = NULL, email_ciphertext = NULL, email_index = NULL,
                 national_id_ciphertext = NULL, national_id_index = NULL, address_ciphertext = NULL,
                 version = $2, updated_at = $3
               WHERE id = $1`,
              [data.customerId, event.streamVersion, event.occurredAt],
            );
            break;
          }
          default: {
            const unknown: never = type;
            throw new Error(`customer-read-model: unhandled event ${String(unknown)}`);
          }
        }
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
  /**
   * Erasure clears an erased customer's name (see the projection). Down puts an empty name back
   * on erased rows (the erased name is gone for good) so that the column can be NOT NULL again.
   */
  class CustomerErasure1765000000000 implements MigrationInterface {
    name = 'CustomerErasure1765000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.customers ALTER COLUMN name DROP NOT NULL`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`UPDATE ${s}.customers SET name = '' WHERE name IS NULL`);
      await queryRunner.query(`ALTER TABLE ${s}.customers ALTER COLUMN name SET NOT NULL`);
    }
  }
  return [
    CustomerReadModel1764375000000,
    CustomerSensitiveFields1764800000001,
    CustomerSharedWith1764900000000,
    CustomerErasure1765000000000,
  ];
}
