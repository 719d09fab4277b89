import type { CustomerErasedData, CustomerTransactionRecordedData, EventEnvelope } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `customer_transactions`: one row per recorded transaction; erasure deletes a customer's. */
export function customerTransactionsProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-transactions',
    handles: ['CustomerTransactionRecorded', 'CustomerErased'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'CustomerTransactionRecorded') {
          const data = event.data as CustomerTransactionRecordedData;
          await manager.query(
            `INSERT INTO ${s}.customer_transactions
               (transaction_id, customer_id, amount, currency, date, product, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [data.transactionId, data.customerId, data.amount, data.currency, data.date, data.product,
              event.actor.userId, event.occurredAt],
          );
        } else {
          const data = event.data as CustomerErasedData;
          await manager.query(`DELETE FROM ${s}.customer_transactions WHERE customer_id = $1`, [data.customerId]);
        }
      }
    },
  };
}

export function customerTransactionsMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  /** `amount` is kept as the decimal text it was given (no rounding, exact round trip). */
  class CustomerTransactions1766000000001 implements MigrationInterface {
    name = 'CustomerTransactions1766000000001';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_transactions (
          transaction_id uuid PRIMARY KEY,
          customer_id uuid NOT NULL,
          amount text NOT NULL,
          currency char(3) NOT NULL,
          date date NOT NULL,
          product text NOT NULL,
          recorded_by text NOT NULL,
          recorded_at timestamptz NOT NULL
        )`);
      await queryRunner.query(
        `CREATE INDEX customer_transactions_customer ON ${s}.customer_transactions (customer_id, date, transaction_id)`,
      );
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_transactions`);
    }
  }
  return [CustomerTransactions1766000000001];
}
