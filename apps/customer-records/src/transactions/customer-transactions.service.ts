import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, type Policy } from '@warden/security';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { customerResourceOf, type CustomerRow } from '../customer/customer-query.service';
import { CustomerService } from '../customer/customer.service';
import type {
  ListTransactionsQuery,
  RecordTransactionBody,
  TransactionPage,
  TransactionView,
} from './customer-transactions.dto';

type TransactionRow = {
  transaction_id: string;
  customer_id: string;
  amount: string;
  currency: string;
  date: string;
  product: string;
  recorded_by: string;
  recorded_at: Date;
};

const COLUMNS = `transaction_id, customer_id, amount, currency, to_char(date, 'YYYY-MM-DD') AS date, product, recorded_by, recorded_at`;

const toView = (row: TransactionRow): TransactionView => ({
  id: row.transaction_id,
  customerId: row.customer_id,
  amount: row.amount,
  currency: row.currency,
  date: row.date,
  product: row.product,
  recordedBy: row.recorded_by,
  recordedAt: new Date(row.recorded_at).toISOString(),
});

/**
 * A customer's transactions. Reading them needs a level above `none` on the customer's
 * `transactions` field (roles that see only ids and names, such as auditors, get 403).
 */
@Injectable()
export class CustomerTransactionsService {
  constructor(
    private readonly customers: CustomerService,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  async record(customerId: string, body: RecordTransactionBody, metadata: CommandMetadata, policy: Policy): Promise<TransactionView> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    if (!policy.can('update', 'Customer', customerResourceOf(row))) {
      throw new ForbiddenError('you may not record transactions of this customer');
    }
    const transactionId = uuidv7();
    await this.customers.appendToCustomer(
      customerId,
      { type: 'RecordCustomerTransaction', data: { customerId, transactionId, ...body } },
      metadata,
    );
    return toView({
      transaction_id: transactionId,
      customer_id: customerId,
      ...body,
      recorded_by: metadata.actor.userId,
      recorded_at: metadata.now,
    });
  }

  async list(customerId: string, query: ListTransactionsQuery, policy: Policy): Promise<TransactionPage> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    this.assertReadable(row, policy);
    const rows: TransactionRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${quoteSchema(this.store.schema)}.customer_transactions
       WHERE customer_id = $1 AND ($2::uuid IS NULL OR transaction_id < $2::uuid)
       ORDER BY transaction_id DESC LIMIT $3`,
      [customerId, query.cursor ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return { items: page.map(toView), nextCursor: rows.length > query.limit ? page[page.length - 1].transaction_id : null };
  }

  /** Every transaction of a customer (subject access only). */
  async all(customerId: string): Promise<TransactionView[]> {
    const rows: TransactionRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${quoteSchema(this.store.schema)}.customer_transactions WHERE customer_id = $1 ORDER BY transaction_id`,
      [customerId],
    );
    return rows.map(toView);
  }

  private assertReadable(row: CustomerRow, policy: Policy): void {
    if (policy.fieldLevel('read', 'Customer', 'transactions', customerResourceOf(row)) === 'none') {
      throw new ForbiddenError("you may not read this customer's transactions");
    }
  }
}
