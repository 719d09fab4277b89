import { Injectable } from '@nestjs/common';
import type { CustomerEvent } from '@warden/contracts';
import { BlindIndexer, FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, toSqlFilter, type Policy } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { protectChanges, protectNames, type EncryptedValues } from './customer-lifecycle.util';
import type { ArchiveCustomerBody, UpdateCustomerBody } from './customer-lifecycle.dto';
import { CUSTOMER_POLICY_COLUMNS, customerResourceOf, type CustomerRow } from './customer-query.service';
import { protectSensitive } from './customer-sensitive.util';
import { customerFieldLevels, levelledCustomerView, type CustomerPolicyResource } from './customer-view.util';
import type { ChangeCustomerOwner, CustomerCommand, RegisterCustomer } from './customer.commands';
import { decide, evolve, initialCustomerState, type CustomerState } from './customer.decider';
import type { CustomerView, EraseCustomerBody, RegisterCustomerBody, SensitiveInput } from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';
import { writeCustomerMaskedForms, writeCustomerNames, writeRegisteredClearColumns } from './projections/customer-read-model.projection';

export const customerDecider = { initialState: initialCustomerState, decide, evolve };

/** How many times `appendToCustomer` decides again after a concurrent write. */
const APPEND_ATTEMPTS = 5;

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;

/** A registration the policy allows, with its new customer's id; nothing encrypted or written yet. */
type CheckedRegistration = { customerId: string; ownerId: string; body: RegisterCustomerBody };

/** A registration checked and encrypted, not yet written (see `CustomerService.registerMany`). */
type PreparedRegistration = {
  customerId: string;
  command: RegisterCustomer;
  names: { name: string; company: string | null };
  clear: SensitiveInput;
};

@Injectable()
export class CustomerService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly indexer: BlindIndexer,
  ) {}

  /** Load → decide → append, with the stream version read as the expected version. */
  private async handle(
    customerId: string,
    command: CustomerCommand,
    metadata: CommandMetadata,
    manager?: EntityManager,
  ): Promise<number> {
    return (await this.store.handle(customerStreamId(customerId), customerDecider, command, { metadata, manager }))
      .streamVersion;
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
    const checked = this.checkRegistration(body, policy);
    await this.cipher.createDataKeys([checked.customerId]);
    const registration = await this.protectRegistration(checked);
    await this.dataSource.transaction((manager) => this.writeRegistration(registration, metadata, manager));
    return (await this.findVisible(registration.customerId, policy)) ?? { id: registration.customerId };
  }

  /**
   * Registers many customers for the caller (bulk import), each checked, encrypted and recorded
   * exactly as `register` does, but together: their data keys in one statement, then in one
   * transaction their streams' first events (one statement), read-model rows (one) and names and
   * masked forms (one). A customer the policy refuses (or whose fields cannot be
   * protected) is answered with its error and left out; if the shared transaction fails, each
   * customer is written again in its own, so that one bad customer fails only itself. Answers in
   * the order given: the id, or the error.
   */
  async registerMany(
    items: ReadonlyArray<{ body: RegisterCustomerBody; metadata: CommandMetadata }>,
    policy: Policy,
  ): Promise<Array<{ id: string } | { error: unknown }>> {
    const outcome = (run: () => CheckedRegistration) => {
      try {
        return run();
      } catch (error) {
        return { error };
      }
    };
    const checked = items.map(({ body }) => outcome(() => this.checkRegistration(body, policy)));
    const accepted = checked.filter((c): c is CheckedRegistration => !('error' in c));
    // If the group's keys cannot be stored at once, each customer's first encrypt creates its key
    // (as `encrypt` always can), and a customer that still fails is answered with its error.
    await this.cipher.createDataKeys(accepted.map((c) => c.customerId)).catch(() => undefined);
    const prepared: Array<PreparedRegistration | { error: unknown }> = [];
    for (const c of checked) prepared.push('error' in c ? c : await this.protectRegistration(c).catch((error: unknown) => ({ error })));
    const ready = prepared.flatMap((registration, i) => ('error' in registration ? [] : [{ registration, metadata: items[i].metadata }]));
    const failed = new Map<PreparedRegistration, unknown>();
    if (ready.length === 0) return prepared as Array<{ error: unknown }>;
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.store.appendToStreams(
          ready.map(({ registration, metadata }) => ({
            streamId: customerStreamId(registration.customerId),
            events: decide(registration.command, initialCustomerState),
            metadata,
            expectedVersion: 0,
          })),
          { manager },
        );
        await writeRegisteredClearColumns(manager, this.store.schema, ready.map(({ registration }) => registration));
      });
    } catch {
      for (const { registration, metadata } of ready) {
        await this.dataSource
          .transaction((manager) => this.writeRegistration(registration, metadata, manager))
          .catch((error: unknown) => {
            // The customer's id is new: only the shared transaction, committed after all (its
            // answer lost), can have started its stream.
            if (!(error instanceof StreamVersionConflict)) failed.set(registration, error);
          });
      }
    }
    return prepared.map((registration) => {
      if ('error' in registration) return registration;
      return failed.has(registration) ? { error: failed.get(registration) } : { id: registration.customerId };
    });
  }

  /** The checks of a registration and its new customer's id, before anything is encrypted or written. */
  private checkRegistration(body: RegisterCustomerBody, policy: Policy): CheckedRegistration {
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
    return { customerId: uuidv7(), ownerId, body };
  }

  /** A checked registration's fields encrypted and indexed (its data key created already). */
  private async protectRegistration({ customerId, ownerId, body }: CheckedRegistration): Promise<PreparedRegistration> {
    const { name, company, mobile, email, nationalId, address, ...plain } = body;
    const sensitive = {
      ...(await protectSensitive(customerId, { mobile, email, nationalId, address }, this.cipher, this.indexer)),
      ...(await protectNames(customerId, { name, company }, this.cipher)),
    };
    return {
      customerId,
      command: { type: 'RegisterCustomer', data: { customerId, ...plain, ownerId, sensitive } },
      names: { name, company },
      clear: { mobile, email, nationalId, address },
    };
  }

  /**
   * A prepared registration's events, as the first of a new stream (decided on the initial state,
   * appended at version 0: an existing stream is a conflict, never overwritten), with the read
   * model's names in clear and masked forms, in `manager`'s transaction. The event carries name
   * and company encrypted; the read model keeps them in clear (an inline projection cannot decrypt).
   */
  private async writeRegistration(registration: PreparedRegistration, metadata: CommandMetadata, manager: EntityManager): Promise<void> {
    const { customerId, command, names, clear } = registration;
    await this.store.append(customerStreamId(customerId), decide(command, initialCustomerState), { expectedVersion: 0, metadata, manager });
    await writeCustomerNames(manager, this.store.schema, customerId, names);
    await writeCustomerMaskedForms(manager, this.store.schema, customerId, clear);
  }

  /**
   * Changes a customer's fields if its stream is still at `expectedVersion` (409
   * `STREAM_VERSION_CONFLICT` otherwise). The customer must be in the caller's view (404), the
   * policy must allow updating it (403) and each given field at a level other than `none`; owner
   * and team changes need the `clear` level on `ownerId` / `teamId`, and the customer as changed
   * must still be one the caller may update (no giving a customer away beyond one's rights).
   * Sensitive fields, name and company are compared with their decrypted current values: only the
   * changed ones are encrypted (and blind-indexed) into `CustomerUpdated`. Answers with the
   * customer as the caller now sees it and its new version.
   */
  async update(
    customerId: string,
    expectedVersion: number,
    body: UpdateCustomerBody,
    metadata: CommandMetadata,
    policy: Policy,
  ): Promise<{ view: CustomerView; version: number }> {
    const row = await this.requireVisibleRow(customerId, policy);
    const resource = customerResourceOf(row);
    if (!policy.can('update', 'Customer', resource)) throw new ForbiddenError('you may not update this customer');
    const given = (Object.keys(body) as Array<keyof UpdateCustomerBody>).filter((field) => body[field] !== undefined);
    const levels = policy.fieldLevels('update', 'Customer', given, resource);
    for (const field of given) {
      const needed = field === 'ownerId' || field === 'teamId' ? 'clear' : 'masked';
      if (levels[field] === 'none' || (needed === 'clear' && levels[field] !== 'clear')) {
        throw new ForbiddenError(`you may not change ${field} of this customer`);
      }
    }
    const changed: CustomerPolicyResource = {
      ...resource,
      ...(body.ownerId !== undefined && { ownerId: body.ownerId }),
      ...(body.teamId !== undefined && { teamId: body.teamId }),
      ...(body.classification !== undefined && { classification: body.classification }),
    };
    if (!policy.can('update', 'Customer', changed)) {
      throw new ForbiddenError('you may not give this customer that owner, team or classification');
    }
    const { name, company, mobile, email, nationalId, address, ...plain } = body;
    const next: EncryptedValues = { name, company, mobile, email, nationalId, address };
    const sensitive = await protectChanges(customerId, next, await this.currentValues(row, next), this.cipher, this.indexer);
    const version = await this.dataSource.transaction(async (manager) => {
      const command = { type: 'UpdateCustomer' as const, data: { customerId, expectedVersion, ...plain, sensitive } };
      const after = await this.handle(customerId, command, metadata, manager);
      await writeCustomerNames(manager, this.store.schema, customerId, {
        name: sensitive.name ? name : undefined,
        company: sensitive.company ? company : undefined,
      });
      // The masked form of each sensitive field this update set (null: cleared), from its new value.
      await writeCustomerMaskedForms(manager, this.store.schema, customerId, {
        mobile: sensitive.mobile === undefined ? undefined : sensitive.mobile && (mobile ?? null),
        email: sensitive.email === undefined ? undefined : sensitive.email && (email ?? null),
        nationalId: sensitive.nationalId === undefined ? undefined : sensitive.nationalId && (nationalId ?? null),
        address: sensitive.address === undefined ? undefined : sensitive.address && (address ?? null),
      });
      return after;
    });
    return { view: (await this.findVisible(customerId, policy)) ?? { id: customerId }, version };
  }

  /** Archives a customer in the caller's view (404) that the policy lets them update (403). */
  async archive(
    customerId: string,
    body: ArchiveCustomerBody,
    metadata: CommandMetadata,
    policy: Policy,
  ): Promise<{ view: CustomerView; version: number }> {
    const row = await this.requireVisibleRow(customerId, policy);
    if (!policy.can('update', 'Customer', customerResourceOf(row))) throw new ForbiddenError('you may not archive this customer');
    const version = await this.appendToCustomer(customerId, { type: 'ArchiveCustomer', data: { customerId, reason: body.reason } }, metadata);
    return { view: (await this.findVisible(customerId, policy)) ?? { id: customerId }, version };
  }

  /**
   * Gives many customers new owners in `manager`'s transaction (a hand-over's batch): one read of
   * their streams (`aggregateMany`), the decider on each (a change to the current owner decides
   * nothing), one append for all (`appendToStreams`). If one of them was written since it was
   * read, `StreamVersionConflict` and nothing is written: the caller's transaction should roll
   * back and the batch be done again (one customer at a time, `appendToCustomer`, retries alone).
   */
  async changeOwners(changes: ReadonlyArray<ChangeCustomerOwner['data']>, metadata: CommandMetadata, manager: EntityManager): Promise<void> {
    const read = await this.store.aggregateMany(
      changes.map((change) => customerStreamId(change.customerId)),
      (state, event) => evolve(state, event as unknown as CustomerEvent),
      initialCustomerState,
      manager,
    );
    const appends = changes.flatMap((data) => {
      const streamId = customerStreamId(data.customerId);
      const { state, version, hash } = read.get(streamId) as { state: CustomerState; version: number; hash: string };
      const events = decide({ type: 'ChangeCustomerOwner', data }, state);
      return events.length ? [{ streamId, events, metadata, expectedVersion: version, expectedHash: hash }] : [];
    });
    await this.store.appendToStreams(appends, { manager });
  }

  /**
   * Load → decide → append for a command that does not depend on a version the client read
   * (notes, transactions, consents, owner changes): a concurrent write to the stream makes it
   * decide again on the new state, a few times, instead of failing.
   */
  async appendToCustomer(
    customerId: string,
    command: CustomerCommand,
    metadata: CommandMetadata,
    manager?: EntityManager,
  ): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.handle(customerId, command, metadata, manager);
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The customer's row when it is in the caller's `read` view: 404 outside it (like a missing
   * one), 410 once erased. For the write paths of this service (notes, transactions, consents,
   * subject access).
   */
  async requireVisibleRow(customerId: string, policy: Policy): Promise<CustomerRow> {
    const row = await this.findVisibleRow(customerId, policy);
    if (!row) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    if (row.status === 'erased') throw new CustomerError(CustomerErrorCode.Erased, `customer ${customerId} has been erased`);
    return row;
  }

  /** The current clear values of the encrypted fields about to be set (only those). */
  private async currentValues(row: CustomerRow, next: EncryptedValues): Promise<EncryptedValues> {
    const tokens = {
      mobile: row.mobile_ciphertext,
      email: row.email_ciphertext,
      nationalId: row.national_id_ciphertext,
      address: row.address_ciphertext,
    };
    const current: EncryptedValues = {};
    if (next.name !== undefined) current.name = row.name;
    if (next.company !== undefined) current.company = row.company;
    for (const field of ['mobile', 'email', 'nationalId', 'address'] as const) {
      const token = tokens[field];
      if (next[field] === undefined) continue;
      current[field] = token ? await this.cipher.decrypt(row.id, field, token) : null;
    }
    return current;
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
    if (!policy.can('delete', 'Customer', customerResourceOf(row))) throw new ForbiddenError('you may not erase this customer');
    try {
      await this.handle(customerId, { type: 'EraseCustomer', data: { customerId, ...body } }, metadata);
    } catch (error) {
      if (error instanceof CustomerError && error.code === CustomerErrorCode.Erased) await this.cipher.shred(customerId);
      throw error;
    }
    await this.cipher.shred(customerId);
  }

  private async findVisible(customerId: string, policy: Policy): Promise<CustomerView | null> {
    const row = await this.findVisibleRow(customerId, policy);
    return row ? this.toView(row, policy) : null;
  }

  /** The row only when the policy's SQL filter selects it (never filtered after loading). */
  private async findVisibleRow(customerId: string, policy: Policy): Promise<CustomerRow | null> {
    const visible = toSqlFilter(policy, 'read', 'Customer', { columns: CUSTOMER_POLICY_COLUMNS, paramOffset: 1 });
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
      customerFieldLevels(policy, customerResourceOf(row)),
      this.cipher,
    );
  }

  private get quotedSchema(): string {
    return quoteSchema(this.store.schema);
  }
}
