import { Injectable } from '@nestjs/common';
import type { CustomerEvent } from '@warden/contracts';
import { BlindIndexer, FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { revealMasked, protectSensitive, searchIndex } from './customer-sensitive.util';
import type { CustomerCommand } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import {
  encodeCursor,
  SEARCH_FIELDS,
  type CustomerPage,
  type CustomerView,
  type RegisterCustomerBody,
  type SearchCustomersQuery,
} from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';

type CustomerRow = {
  id: string;
  name: string;
  company: string | null;
  tags: string[];
  classification: string;
  owner_id: string | null;
  team_id: string | null;
  mobile_ciphertext: string | null;
  email_ciphertext: string | null;
  national_id_ciphertext: string | null;
  address_ciphertext: string | null;
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const INDEX_COLUMN = { mobile: 'mobile_index', email: 'email_index', nationalId: 'national_id_index' } as const;

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
    const streamId = customerStreamId(customerId);
    const { state, version, hash } = await this.store.aggregate<CustomerState>(
      streamId,
      (s, e) => evolve(s, e as unknown as CustomerEvent),
      initialCustomerState,
    );
    const events = decide(command, state);
    const result = await this.store.append(streamId, events, { expectedVersion: version, expectedHash: hash, metadata });
    return result.streamVersion;
  }

  /** Encrypts and indexes the sensitive fields first: only ciphertexts reach the decider and the events. */
  async register(body: RegisterCustomerBody, metadata: CommandMetadata): Promise<CustomerView> {
    const customerId = uuidv7();
    const { mobile, email, nationalId, address, ...plain } = body;
    const sensitive = await protectSensitive(customerId, { mobile, email, nationalId, address }, this.cipher, this.indexer);
    await this.handle(customerId, { type: 'RegisterCustomer', data: { customerId, ...plain, sensitive } }, metadata);
    return this.get(customerId);
  }

  async get(customerId: string): Promise<CustomerView> {
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.quotedSchema}.customers WHERE id = $1`,
      [customerId],
    );
    if (rows.length === 0) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    return this.toView(rows[0]);
  }

  /** Exact search through one blind index, paged by id. */
  async search(query: SearchCustomersQuery): Promise<CustomerPage> {
    const field = SEARCH_FIELDS.find((name) => query[name] !== undefined);
    if (!field) throw new Error('search without a field (the query schema requires one)');
    const index = searchIndex(this.indexer, field, query[field] ?? '');
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.quotedSchema}.customers
       WHERE ${INDEX_COLUMN[field]} = $1 AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id LIMIT $3`,
      [index, query.cursor ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const items = await Promise.all(page.map((row) => this.toView(row)));
    const more = rows.length > query.limit;
    return { items, nextCursor: more ? encodeCursor(page[page.length - 1].id) : null };
  }

  private async toView(row: CustomerRow): Promise<CustomerView> {
    const masked = await revealMasked(
      row.id,
      {
        mobile: row.mobile_ciphertext,
        email: row.email_ciphertext,
        nationalId: row.national_id_ciphertext,
        address: row.address_ciphertext,
      },
      this.cipher,
    );
    return {
      id: row.id,
      name: row.name,
      company: row.company,
      tags: row.tags,
      classification: row.classification,
      ownerId: row.owner_id,
      teamId: row.team_id,
      ...masked,
      status: row.status,
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  private get quotedSchema(): string {
    return quoteSchema(this.store.schema);
  }
}
