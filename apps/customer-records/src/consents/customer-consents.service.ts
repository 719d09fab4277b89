import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, type Policy } from '@warden/security';
import { DataSource } from 'typeorm';
import { customerResourceOf } from '../customer/customer-query.service';
import { CustomerService } from '../customer/customer.service';
import type { ConsentsView, ConsentView, RecordConsentBody } from './customer-consents.dto';

type ConsentRow = { purpose: string; granted: boolean; template_version: string; recorded_by: string; recorded_at: Date };

const toView = (row: ConsentRow): ConsentView => ({
  purpose: row.purpose,
  granted: row.granted,
  templateVersion: row.template_version,
  recordedBy: row.recorded_by,
  recordedAt: new Date(row.recorded_at).toISOString(),
});

/** The current consent of each purpose: its latest change. */
export const currentConsents = (history: readonly ConsentView[]): ConsentView[] =>
  [...new Map(history.map((change) => [change.purpose, change])).values()].sort((a, b) =>
    a.purpose.localeCompare(b.purpose),
  );

/**
 * Consents (PIPL): given or withdrawn per purpose and consent-template version, recorded on the
 * customer's stream. Recording needs update on the customer; reading a level above `none` on its
 * `consents` field.
 */
@Injectable()
export class CustomerConsentsService {
  constructor(
    private readonly customers: CustomerService,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  async record(customerId: string, body: RecordConsentBody, metadata: CommandMetadata, policy: Policy): Promise<ConsentsView> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    if (!policy.can('update', 'Customer', customerResourceOf(row))) {
      throw new ForbiddenError('you may not record consents of this customer');
    }
    await this.customers.appendToCustomer(customerId, { type: 'RecordConsent', data: { customerId, ...body } }, metadata);
    return this.history(customerId);
  }

  async get(customerId: string, policy: Policy): Promise<ConsentsView> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    if (policy.fieldLevel('read', 'Customer', 'consents', customerResourceOf(row)) === 'none') {
      throw new ForbiddenError("you may not read this customer's consents");
    }
    return this.history(customerId);
  }

  /** Current state and history, without a policy check (subject access). */
  async history(customerId: string): Promise<ConsentsView> {
    const rows: ConsentRow[] = await this.dataSource.query(
      `SELECT purpose, granted, template_version, recorded_by, recorded_at
       FROM ${quoteSchema(this.store.schema)}.customer_consent_changes WHERE customer_id = $1 ORDER BY stream_version`,
      [customerId],
    );
    const history = rows.map(toView);
    return { current: currentConsents(history), history };
  }
}
