import { Injectable } from '@nestjs/common';
import { BlindIndexer, FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, toSqlFilter, type Policy, type PolicySqlColumns } from '@warden/security';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { protectSensitive, searchIndex } from './customer-sensitive.util';
import { customerFieldLevels, levelledCustomerView, type CustomerPolicyResource } from './customer-view.util';
import type { CustomerCommand } from './customer.commands';
import { decide, evolve, initialCustomerState } from './customer.decider';
import {
  encodeCursor,
  SEARCH_FIELDS,
  type CustomerPage,
  type CustomerView,
  type EraseCustomerBody,
  type RegisterCustomerBody,
  type SearchCustomersQuery,
} from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';

const customerDecider = { initialState: initialCustomerState, decide, evolve };

type CustomerRow = {
  id: string;
  /** Null once the customer is erased. */
  name: string | null;
  company: string | null;
  tags: string[];
  classification: string;
  owner_id: string | null;
  team_id: string | null;
  mobile_ciphertext: string | null;
  email_ciphertext: string | null;
  national_id_ciphertext: string | null;
  address_ciphertext: string | null;
  shared_with: string[];
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const INDEX_COLUMN = { mobile: 'mobile_index', email: 'email_index', nationalId: 'national_id_index' } as const;

/** The read model's columns for the attributes the policy's record conditions read. */
const POLICY_COLUMNS: PolicySqlColumns = {
  ownerId: 'owner_id',
  teamId: 'team_id',
  classification: 'classification',
  sharedWith: 'shared_with',
};

/** What the policy's record conditions read, from the read model's row. */
const resourceOf = (row: CustomerRow): CustomerPolicyResource => ({
  ownerId: row.owner_id,
  teamId: row.team_id,
  classification: row.classification,
  sharedWith: row.shared_with,
});

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;

@Injectable()
export class CustomerService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly indexer: BlindIndexer,
  ) {}

  /** Load → decide → append, with the stream version read as the expected version. */
  private async handle(customerId: string, command: CustomerCommand, metadata: CommandMetadata): Promise<number> {
    return (await this.store.handle(customerStreamId(customerId), customerDecider, command, { metadata })).streamVersion;
  }

  /**
   * Registers a customer for the caller: the policy must allow creating customers at all (403
   * otherwise), the owner defaults to the caller, and the policy must allow creating this one
   * (its owner, team and classification), so staff register only customers they own, within their
   * clearance. Encrypts and indexes the sensitive fields first: only ciphertexts reach the decider
   * and the events. Answers with the customer as the caller may read it (only its id when the
   * caller may not read it).
   */
  async register(body: RegisterCustomerBody, metadata: CommandMetadata, policy: Policy): Promise<CustomerView> {
    if (!policy.can('create', 'Customer')) throw new ForbiddenError('you may not register customers');
    const ownerId = body.ownerId ?? policy.userId;
    const resource: CustomerPolicyResource = {
      ownerId,
      teamId: body.teamId,
      classification: body.classification,
      sharedWith: [],
    };
    if (!policy.can('create', 'Customer', resource)) {
      throw new ForbiddenError('you may not register a customer with this owner, team or classification');
    }
    const customerId = uuidv7();
    const { mobile, email, nationalId, address, ...plain } = body;
    const sensitive = await protectSensitive(customerId, { mobile, email, nationalId, address }, this.cipher, this.indexer);
    await this.handle(customerId, { type: 'RegisterCustomer', data: { customerId, ...plain, ownerId, sensitive } }, metadata);
    return (await this.findVisible(customerId, policy)) ?? { id: customerId };
  }

  /**
   * A customer the caller may read; one outside their view is not found, exactly like a missing
   * one. An erased customer in their view is `CUSTOMER_ERASED` (410).
   */
  async get(customerId: string, policy: Policy): Promise<CustomerView> {
    const row = await this.findVisibleRow(customerId, policy);
    if (!row) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    return this.toView(row, policy);
  }

  /**
   * Erases a customer's personal data (PIPL/GDPR). The customer must be in the caller's view (404
   * otherwise, like a read) and the policy must allow deleting it (403). Appends `CustomerErased`
   * first (the read model clears the row in the same transaction), then crypto-shreds the
   * customer's data key, so every ciphertext of the log, the read model and Kafka is unreadable.
   *
   * Retry-safe: when the append succeeded but the shred failed, the error reaches the caller and the
   * customer already reads as erased; a second erase finds it erased, shreds again (deleting a key
   * that is gone is a no-op) and only then answers `CUSTOMER_ERASED` (410). So a 410 always means
   * both steps are done, and a 204 that both were done by this request.
   */
  async erase(customerId: string, body: EraseCustomerBody, metadata: CommandMetadata, policy: Policy): Promise<void> {
    const row = await this.findVisibleRow(customerId, policy);
    if (!row) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    if (!policy.can('delete', 'Customer', resourceOf(row))) throw new ForbiddenError('you may not erase this customer');
    try {
      await this.handle(customerId, { type: 'EraseCustomer', data: { customerId, ...body } }, metadata);
    } catch (error) {
      if (error instanceof CustomerError && error.code === CustomerErrorCode.Erased) await this.cipher.shred(customerId);
      throw error;
    }
    await this.cipher.shred(customerId);
  }

  /** Exact search through one blind index, within the caller's view, paged by id. */
  async search(query: SearchCustomersQuery, policy: Policy): Promise<CustomerPage> {
    const field = SEARCH_FIELDS.find((name) => query[name] !== undefined);
    if (!field) throw new Error('search without a field (the query schema requires one)');
    const index = searchIndex(this.indexer, field, query[field] ?? '');
    const visible = toSqlFilter(policy, 'read', 'Customer', { columns: POLICY_COLUMNS, paramOffset: 3 });
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.quotedSchema}.customers
       WHERE ${INDEX_COLUMN[field]} = $1 AND status <> 'erased' AND ($2::uuid IS NULL OR id > $2::uuid) AND (${visible.sql})
       ORDER BY id LIMIT $3`,
      [index, query.cursor ?? null, query.limit + 1, ...visible.params],
    );
    const page = rows.slice(0, query.limit);
    const items = await Promise.all(page.map((row) => this.toView(row, policy)));
    const more = rows.length > query.limit;
    return { items, nextCursor: more ? encodeCursor(page[page.length - 1].id) : null };
  }

  private async findVisible(customerId: string, policy: Policy): Promise<CustomerView | null> {
    const row = await this.findVisibleRow(customerId, policy);
    return row ? this.toView(row, policy) : null;
  }

  /** The row only when the policy's SQL filter selects it (never filtered after loading). */
  private async findVisibleRow(customerId: string, policy: Policy): Promise<CustomerRow | null> {
    const visible = toSqlFilter(policy, 'read', 'Customer', { columns: POLICY_COLUMNS, paramOffset: 1 });
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.quotedSchema}.customers WHERE id = $1 AND (${visible.sql})`,
      [customerId, ...visible.params],
    );
    return rows[0] ?? null;
  }

  /** Each field at the caller's level for this customer: clear, masked or left out; erased: 410. */
  private async toView(row: CustomerRow, policy: Policy): Promise<CustomerView> {
    if (row.status === 'erased' || row.name === null) {
      throw new CustomerError(CustomerErrorCode.Erased, `customer ${row.id} has been erased`);
    }
    return levelledCustomerView(
      {
        id: row.id,
        name: row.name,
        company: row.company,
        tags: row.tags,
        classification: row.classification,
        ownerId: row.owner_id,
        teamId: row.team_id,
        status: row.status,
        version: row.version,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      },
      {
        mobile: row.mobile_ciphertext,
        email: row.email_ciphertext,
        nationalId: row.national_id_ciphertext,
        address: row.address_ciphertext,
      },
      customerFieldLevels(policy, resourceOf(row)),
      this.cipher,
    );
  }

  private get quotedSchema(): string {
    return quoteSchema(this.store.schema);
  }
}
