import { Injectable } from '@nestjs/common';
import { FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, maskValue, type FieldLevel, type Policy } from '@warden/security';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { noteLevel } from '../customer/customer-lifecycle.util';
import { customerResourceOf } from '../customer/customer-query.service';
import { CustomerService } from '../customer/customer.service';
import type { AddNoteBody, ListNotesQuery, NotePage, NoteView } from './customer-notes.dto';

type NoteRow = { note_id: string; customer_id: string; body_ciphertext: string; author_id: string; created_at: Date };

/** The encryption context of a note's body: bound to the note, so a body cannot be moved to another. */
export const noteField = (noteId: string): string => `notes:${noteId}`;

/** Communication notes of a customer: bodies encrypted with the customer's data key. */
@Injectable()
export class CustomerNotesService {
  constructor(
    private readonly customers: CustomerService,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  /** Adds a note to a customer in the caller's view (404) that they may update (403). */
  async add(customerId: string, body: AddNoteBody, metadata: CommandMetadata, policy: Policy): Promise<NoteView> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    const resource = customerResourceOf(row);
    if (!policy.can('update', 'Customer', resource)) throw new ForbiddenError('you may not add notes to this customer');
    const noteId = uuidv7();
    const ciphertext = await this.cipher.encrypt(customerId, noteField(noteId), body.body);
    await this.customers.appendToCustomer(
      customerId,
      { type: 'AddCustomerNote', data: { customerId, noteId, body: { ciphertext } } },
      metadata,
    );
    const note: NoteRow = {
      note_id: noteId,
      customer_id: customerId,
      body_ciphertext: ciphertext,
      author_id: metadata.actor.userId,
      created_at: metadata.now,
    };
    return this.toView(note, noteLevel(policy, resource));
  }

  /** A customer's notes, newest first, each body at the caller's level for `notes`. */
  async list(customerId: string, query: ListNotesQuery, policy: Policy): Promise<NotePage> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    const level = noteLevel(policy, customerResourceOf(row));
    const rows: NoteRow[] = await this.dataSource.query(
      `SELECT note_id, customer_id, body_ciphertext, author_id, created_at FROM ${quoteSchema(this.store.schema)}.customer_notes
       WHERE customer_id = $1 AND ($2::uuid IS NULL OR note_id < $2::uuid)
       ORDER BY note_id DESC LIMIT $3`,
      [customerId, query.cursor ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const items = await Promise.all(page.map((note) => this.toView(note, level)));
    return { items, nextCursor: rows.length > query.limit ? page[page.length - 1].note_id : null };
  }

  /** Every note of a customer in clear (subject access only). */
  async allInClear(customerId: string): Promise<NoteView[]> {
    const rows: NoteRow[] = await this.dataSource.query(
      `SELECT note_id, customer_id, body_ciphertext, author_id, created_at FROM ${quoteSchema(this.store.schema)}.customer_notes
       WHERE customer_id = $1 ORDER BY note_id`,
      [customerId],
    );
    return Promise.all(rows.map((note) => this.toView(note, 'clear')));
  }

  /** A body at `none` is not even decrypted. */
  private async toView(note: NoteRow, level: FieldLevel): Promise<NoteView> {
    const view: NoteView = {
      id: note.note_id,
      customerId: note.customer_id,
      authorId: note.author_id,
      createdAt: new Date(note.created_at).toISOString(),
    };
    if (level === 'none') return view;
    const body = await this.cipher.decrypt(note.customer_id, noteField(note.note_id), note.body_ciphertext);
    view.body = level === 'clear' ? body : maskValue('notes', body);
    return view;
  }
}
