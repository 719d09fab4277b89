import type {
  CustomersTransferProgressedData,
  CustomersTransferRequestedData,
  CustomersTransferredData,
  EventEnvelope,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `customer_transfers`: each ownership transfer's request, progress and outcome. */
export function customerTransfersProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-transfers',
    handles: ['CustomersTransferRequested', 'CustomersTransferProgressed', 'CustomersTransferred'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'CustomersTransferRequested') {
          const data = event.data as CustomersTransferRequestedData;
          await manager.query(
            `INSERT INTO ${s}.customer_transfers (transfer_id, from_user_id, to_user_id, to_pool_user_ids, reason,
               status, done, total, requested_by, command_id, requested_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'running', 0, NULL, $6, $7, $8, $8)`,
            [data.transferId, data.fromUserId, data.toUserId, data.toPoolUserIds, data.reason, event.actor.userId,
              event.causationId, event.occurredAt],
          );
        } else if (event.type === 'CustomersTransferProgressed') {
          const data = event.data as CustomersTransferProgressedData;
          await manager.query(
            `UPDATE ${s}.customer_transfers SET done = $2, total = $3, updated_at = $4 WHERE transfer_id = $1`,
            [data.transferId, data.done, data.total, event.occurredAt],
          );
        } else {
          const data = event.data as CustomersTransferredData;
          await manager.query(
            `UPDATE ${s}.customer_transfers SET status = 'completed', done = $2, total = $2, updated_at = $3,
               completed_at = $3 WHERE transfer_id = $1`,
            [data.transferId, data.count, event.occurredAt],
          );
        }
      }
    },
  };
}

export function customerTransfersMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerTransfers1766000000003 implements MigrationInterface {
    name = 'CustomerTransfers1766000000003';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_transfers (
          transfer_id uuid PRIMARY KEY,
          from_user_id text NOT NULL,
          to_user_id text,
          to_pool_user_ids text[],
          reason text NOT NULL,
          status text NOT NULL,
          done integer NOT NULL,
          total integer,
          requested_by text NOT NULL,
          command_id text,
          requested_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          completed_at timestamptz
        )`);
      await queryRunner.query(
        `CREATE INDEX customer_transfers_running ON ${s}.customer_transfers (requested_at) WHERE status = 'running'`,
      );
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_transfers`);
    }
  }
  return [CustomerTransfers1766000000003];
}
