import { Injectable } from '@nestjs/common';
import { accessStreamId } from '@warden/contracts';
import { FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { CustomerConsentsService } from '../consents/customer-consents.service';
import type { ConsentsView } from '../consents/customer-consents.dto';
import { CustomerError, CustomerErrorCode } from '../customer/customer.exception';
import type { CustomerRow } from '../customer/customer-query.service';
import { customerStreamId } from '../customer/customer.service';
import { CustomerNotesService } from '../notes/customer-notes.service';
import type { NoteView } from '../notes/customer-notes.dto';
import { CustomerTransactionsService } from '../transactions/customer-transactions.service';
import type { TransactionView } from '../transactions/customer-transactions.dto';

/** Everything held about a customer, in clear (PIPL/GDPR access request). */
export type SubjectAccessReport = {
  customer: {
    id: string;
    name: string | null;
    company: string | null;
    tags: string[];
    classification: string;
    ownerId: string | null;
    teamId: string | null;
    /** The users it is shared with: the recipients of the person's data outside its owner (GDPR Art. 15(1)(c)). */
    sharedWith: string[];
    mobile: string | null;
    email: string | null;
    nationalId: string | null;
    address: string | null;
    status: string;
    version: number;
    createdAt: string;
    updatedAt: string;
  };
  notes: NoteView[];
  transactions: TransactionView[];
  consents: ConsentsView;
  /** Every event of the customer's stream: what happened, when, by whom (no data). */
  events: Array<{ type: string; occurredAt: string; actorId: string; streamVersion: number }>;
  providedAt: string;
};

/**
 * Subject access: a compliance function gated by role (admin, security officer), not by the
 * caller's data view. Every stored field is decrypted; the report is handed out only after
 * `SubjectAccessProvided` is durably appended to the reader's access stream (fail closed).
 */
@Injectable()
export class SubjectAccessService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly notes: CustomerNotesService,
    private readonly transactions: CustomerTransactionsService,
    private readonly consents: CustomerConsentsService,
  ) {}

  async report(customerId: string, metadata: CommandMetadata): Promise<SubjectAccessReport> {
    const rows: CustomerRow[] = await this.dataSource.query(
      `SELECT * FROM ${quoteSchema(this.store.schema)}.customers WHERE id = $1`,
      [customerId],
    );
    const row = rows[0];
    if (!row) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    if (row.status === 'erased') throw new CustomerError(CustomerErrorCode.Erased, `customer ${customerId} has been erased`);
    const decrypt = (field: string, token: string | null) =>
      token ? this.cipher.decrypt(customerId, field, token) : Promise.resolve(null);
    const [mobile, email, nationalId, address, notes, transactions, consents, events] = await Promise.all([
      decrypt('mobile', row.mobile_ciphertext),
      decrypt('email', row.email_ciphertext),
      decrypt('nationalId', row.national_id_ciphertext),
      decrypt('address', row.address_ciphertext),
      this.notes.allInClear(customerId),
      this.transactions.all(customerId),
      this.consents.history(customerId),
      this.store.readStream(customerStreamId(customerId)),
    ]);
    const report: SubjectAccessReport = {
      customer: {
        id: row.id,
        name: row.name,
        company: row.company,
        tags: row.tags,
        classification: row.classification,
        ownerId: row.owner_id,
        teamId: row.team_id,
        sharedWith: row.shared_with,
        mobile,
        email,
        nationalId,
        address,
        status: row.status,
        version: row.version,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      },
      notes,
      transactions,
      consents,
      events: events.map((event) => ({
        type: event.type,
        occurredAt: event.occurredAt,
        actorId: event.actor.userId,
        streamVersion: event.streamVersion,
      })),
      providedAt: metadata.now.toISOString(),
    };
    await this.store.append(
      accessStreamId(metadata.actor.userId),
      [{ type: 'SubjectAccessProvided', data: { readerId: metadata.actor.userId, customerId } }],
      { expectedVersion: 'any', metadata },
    );
    return report;
  }
}
