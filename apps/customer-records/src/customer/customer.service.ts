import { Injectable } from '@nestjs/common';
import type { CustomerEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { CustomerCommand } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import type { CustomerView, RegisterCustomerBody } from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';

type CustomerRow = {
  id: string;
  name: string;
  company: string | null;
  tags: string[];
  classification: string;
  owner_id: string | null;
  team_id: string | null;
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;

@Injectable()
export class CustomerService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
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

  async register(body: RegisterCustomerBody, metadata: CommandMetadata): Promise<CustomerView> {
    const customerId = uuidv7();
    await this.handle(customerId, { type: 'RegisterCustomer', data: { customerId, ...body } }, metadata);
    return this.get(customerId);
  }

  async get(customerId: string): Promise<CustomerView> {
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.quotedSchema}.customers WHERE id = $1`,
      [customerId],
    );
    if (rows.length === 0) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    return toView(rows[0]);
  }

  private get quotedSchema(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: CustomerRow): CustomerView {
  return {
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
  };
}
