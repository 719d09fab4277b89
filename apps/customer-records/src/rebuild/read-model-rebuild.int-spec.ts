import { randomBytes, randomUUID } from 'node:crypto';
import { eventRegistry, GENESIS_HASH, hashEvent, transferStreamId, type EventEnvelope } from '@warden/contracts';
import { BlindIndexer, FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import type { Policy } from '@warden/security';
import { staffPolicyWithErasure } from '../test/staff-policy';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { customerConsentsMigrations } from '../consents/customer-consents.projection';
import { CustomerConsentsService } from '../consents/customer-consents.service';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from '../crypto/postgres-data-key-store';
import { customerReadIndexMigrations } from '../customer/customer-read-indexes.migrations';
import { maskSensitive } from '../customer/customer-sensitive.util';
import type { RegisterCustomerBody } from '../customer/customer.dto';
import { customerStreamId, CustomerService } from '../customer/customer.service';
import { customerReadModelMigrations } from '../customer/projections/customer-read-model.projection';
import { customerImportMigrations } from '../import/customer-import.migrations';
import { customerNotesMigrations } from '../notes/customer-notes.projection';
import { CustomerNotesService } from '../notes/customer-notes.service';
import { customerTransactionsMigrations } from '../transactions/customer-transactions.projection';
import { CustomerTransactionsService } from '../transactions/customer-transactions.service';
import { customerTransfersMigrations } from '../transfer/transfer.projection';
import { ReadModelRebuilder, ReadModelRebuildError, shadowSchemaOf } from './read-model-rebuild.service';
import { readModelProjections } from './read-model.projections';

const OWNER = 'u-rebuild-owner';
const SENSITIVE = ['mobile', 'email', 'nationalId', 'address'] as const;
const MASKED_COLUMN = { mobile: 'mobile_masked', email: 'email_masked', nationalId: 'national_id_masked', address: 'address_masked' } as const;
/** The primary key order of each rebuilt table, for comparable snapshots. */
const ORDER: Record<string, string> = {
  customers: 'id',
  customer_notes: 'note_id',
  customer_transactions: 'transaction_id',
  customer_consent_changes: 'customer_id, stream_version',
  customer_transfers: 'transfer_id',
};

type Row = Record<string, unknown>;
type Snapshot = Record<string, Row[]>;
type Plain = Partial<Record<(typeof SENSITIVE)[number], string | null>>;

/**
 * `npm run customers:rebuild` against real Postgres: customers written through the service's own
 * paths (registration v3 with encrypted name and company, updates, notes, transactions, consents,
 * archive, erasure, an ownership transfer) and legacy v1/v2 registrations; the read tables are
 * wiped and rebuilt from the event store and must come back as they were, the erased customer
 * still purged.
 */
describe('read model rebuild', () => {
  jest.setTimeout(120_000);
  let dataSource: DataSource;
  let schema = '';
  let s = '';
  let store: EventStore;
  let keyring = '';
  let customers: CustomerService;
  let notes: CustomerNotesService;
  let transactions: CustomerTransactionsService;
  let consents: CustomerConsentsService;
  let indexer: BlindIndexer;
  let policy: Policy;
  /** The current clear values of each customer's sensitive fields, as written. */
  const plain = new Map<string, Plain>();
  let erasedId = '';

  const metadata = (): CommandMetadata => ({
    actor: { userId: OWNER, sessionId: null, ip: null, userAgent: null, deviceId: null },
    correlationId: randomUUID(),
    now: new Date(),
  });

  const rebuilder = (options: Partial<ConstructorParameters<typeof ReadModelRebuilder>[0]> = {}) =>
    new ReadModelRebuilder({
      dataSource,
      schema,
      registry: eventRegistry,
      cipher: new FieldCipher(StaticKeyProvider.fromKeyring(keyring), new PostgresDataKeyStore(dataSource, schema), { cache: { maxEntries: 0 } }),
      projections: readModelProjections,
      batchSize: 7,
      // Other suites' transactions may hold the commit-safe horizon back: do not wait long for it.
      horizonWaitMs: 1000,
      ...options,
    });

  const snapshot = async (): Promise<Snapshot> => {
    const tables: Snapshot = {};
    for (const [table, order] of Object.entries(ORDER)) {
      tables[table] = await dataSource.query(`SELECT * FROM ${s}.${table} ORDER BY ${order}`);
    }
    return tables;
  };

  /**
   * `before` with each masked form the live path left unknown (NULL) replaced by the mask of the
   * value written: the rebuild fills masked forms from the decrypted value, the live path may not.
   */
  const withMaskedForms = (before: Snapshot): Snapshot => ({
    ...before,
    customers: before.customers.map((row) => {
      const values = plain.get(row.id as string) ?? {};
      const filled: Row = { ...row };
      for (const field of SENSITIVE) {
        const column = MASKED_COLUMN[field];
        if (!(column in row) || row[column] !== null) continue;
        const value = row.status === 'erased' ? null : values[field];
        filled[column] = value == null ? null : maskSensitive[field](value);
      }
      return filled;
    }),
  });

  /** Appends a registration of an old schema version as it was stored then, and projects it as the service did. */
  const legacyRegistration = async (schemaVersion: 1 | 2, data: Record<string, unknown>): Promise<void> => {
    const customerId = data.customerId as string;
    const body = {
      eventId: uuidv7(),
      type: 'CustomerRegistered',
      schemaVersion,
      streamId: customerStreamId(customerId),
      streamVersion: 1,
      occurredAt: new Date('2025-01-02T03:04:05.000Z').toISOString(),
      actor: metadata().actor,
      correlationId: 'legacy',
      causationId: null,
      data,
    };
    const hash = hashEvent(GENESIS_HASH, body);
    const [{ global_position }]: Array<{ global_position: string }> = await dataSource.query(
      `INSERT INTO ${s}.events (event_id, stream_id, stream_version, type, schema_version, occurred_at, actor,
         correlation_id, causation_id, data, prev_hash, hash)
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, NULL, $8, $9, $10) RETURNING global_position`,
      [body.eventId, body.streamId, body.type, schemaVersion, body.occurredAt, JSON.stringify(body.actor), body.correlationId,
        JSON.stringify(data), GENESIS_HASH, hash],
    );
    await dataSource.query(`INSERT INTO ${s}.streams (stream_id, stream_version, last_hash) VALUES ($1, 1, $2)`, [body.streamId, hash]);
    const envelope: EventEnvelope = eventRegistry.decode({ ...body, globalPosition: Number(global_position), prevHash: GENESIS_HASH, hash });
    const [live] = readModelProjections(schema);
    await live.projection.apply([envelope], dataSource.manager);
  };

  const register = async (body: Partial<RegisterCustomerBody> & { name: string }): Promise<string> => {
    const full: RegisterCustomerBody = { company: null, tags: [], classification: 'internal', ownerId: OWNER, teamId: 'team-r', ...body };
    const view = await customers.register(full, metadata(), policy);
    const id = view.id as string;
    plain.set(id, Object.fromEntries(SENSITIVE.filter((f) => body[f] !== undefined).map((f) => [f, body[f] as string])));
    return id;
  };

  const versionOf = async (customerId: string): Promise<number> =>
    ((await dataSource.query(`SELECT version FROM ${s}.customers WHERE id = $1`, [customerId])) as Array<{ version: number }>)[0].version;

  beforeAll(async () => {
    schema = uniqueName('t_rebuild');
    ({ dataSource } = await createTestSchema(
      'rebuild',
      [
        ...customerReadModelMigrations(schema),
        ...dataKeyStoreMigrations(schema),
        ...customerReadIndexMigrations(schema),
        ...customerImportMigrations(schema),
        ...customerNotesMigrations(schema),
        ...customerTransactionsMigrations(schema),
        ...customerConsentsMigrations(schema),
        ...customerTransfersMigrations(schema),
      ],
      schema,
    ));
    s = quoteSchema(schema);
    store = new EventStore({ dataSource, schema, registry: eventRegistry, projections: readModelProjections(schema).map((p) => p.projection) });
    keyring = `1:${randomBytes(32).toString('base64')}`;
    const cipher = new FieldCipher(StaticKeyProvider.fromKeyring(keyring), new PostgresDataKeyStore(dataSource, schema));
    indexer = BlindIndexer.fromBase64(randomBytes(32).toString('base64'));
    customers = new CustomerService(store, dataSource, cipher, indexer);
    notes = new CustomerNotesService(customers, store, dataSource, cipher);
    transactions = new CustomerTransactionsService(customers, store, dataSource);
    consents = new CustomerConsentsService(customers, store, dataSource);
    policy = staffPolicyWithErasure(OWNER, 'team-r');

    // Legacy registrations: v1 (name in clear, no sensitive field) and v2 (name in clear, sensitive fields).
    const v1Id = uuidv7();
    await legacyRegistration(1, { customerId: v1Id, name: 'Legacy One', company: 'Old Co', tags: ['legacy'], classification: 'public', ownerId: OWNER, teamId: 'team-r' });
    const v2Id = uuidv7();
    await legacyRegistration(2, {
      customerId: v2Id, name: 'Legacy Two', company: null, tags: [], classification: 'internal', ownerId: OWNER, teamId: null,
      sensitive: {
        mobile: { ciphertext: await cipher.encrypt(v2Id, 'mobile', '13900139000'), index: indexer.index('phone', '13900139000') },
        address: { ciphertext: await cipher.encrypt(v2Id, 'address', 'Shanghai, Pudong Rd 1') },
      },
    });
    plain.set(v2Id, { mobile: '13900139000', address: 'Shanghai, Pudong Rd 1' });

    // v3 registrations through the service, then every kind of change.
    const full = await register({
      name: '张三', company: 'Acme 有限公司', tags: ['vip'], mobile: '+86 138-0013-8000', email: 'zhang.san@example.com',
      nationalId: '110101199003071234', address: 'Beijing, Chaoyang Rd 88',
    });
    const updated = await customers.update(
      full,
      await versionOf(full),
      { name: '张三丰', company: null, mobile: '13700137000', email: null, tags: ['vip', 'gold'] },
      metadata(),
      policy,
    );
    plain.set(full, { ...plain.get(full), mobile: '13700137000', email: null });
    await notes.add(full, { body: 'Prefers calls after 6pm' }, metadata(), policy);
    await transactions.record(full, { amount: '1234.50', currency: 'CNY', date: '2026-03-01', product: 'Gold plan' }, metadata(), policy);
    await consents.record(full, { purpose: 'marketing', templateVersion: '2026-01', granted: true }, metadata(), policy);
    await consents.record(full, { purpose: 'marketing', templateVersion: '2026-01', granted: false }, metadata(), policy);
    expect(updated.version).toBeGreaterThan(1);

    const archived = await register({ name: 'Jane Smith', email: 'jane@example.com' });
    await customers.archive(archived, { reason: 'closed' }, metadata(), policy);

    for (let i = 0; i < 25; i += 1) {
      const id = await register({ name: `Customer ${i}`, company: i % 2 ? `Company ${i}` : null, mobile: `1380000${String(i).padStart(4, '0')}` });
      if (i % 5 === 0) await notes.add(id, { body: `note ${i}` }, metadata(), policy);
    }

    erasedId = await register({ name: 'Erase Me', company: 'Gone Ltd', mobile: '13600136000', nationalId: '110101198001011234' });
    await notes.add(erasedId, { body: 'private note' }, metadata(), policy);
    await transactions.record(erasedId, { amount: '9.99', currency: 'USD', date: '2026-02-02', product: 'Basic' }, metadata(), policy);
    await consents.record(erasedId, { purpose: 'marketing', templateVersion: '2026-01', granted: true }, metadata(), policy);
    await customers.erase(erasedId, { legalBasis: 'subject-request', reason: 'subject asked' }, metadata(), policy);

    const transferId = uuidv7();
    const transfer = { transferId, fromUserId: OWNER, toUserId: 'u-successor', toPoolUserIds: null };
    await store.append(
      transferStreamId(transferId),
      [
        { type: 'CustomersTransferRequested', data: { ...transfer, reason: 'offboarding' } },
        { type: 'CustomersTransferProgressed', data: { transferId, done: 1, total: 1 } },
      ],
      { expectedVersion: 0, metadata: metadata() },
    );
    await customers.appendToCustomer(archived, { type: 'ChangeCustomerOwner', data: { customerId: archived, toOwnerId: 'u-successor', transferId, reason: 'offboarding' } }, metadata());
    await store.append(transferStreamId(transferId), [{ type: 'CustomersTransferred', data: { ...transfer, count: 1 } }], {
      expectedVersion: 2,
      metadata: metadata(),
    });
  });

  afterAll(async () => {
    await dataSource?.query(`DROP SCHEMA IF EXISTS ${quoteSchema(shadowSchemaOf(schema))} CASCADE`);
    await dropTestSchema(dataSource, schema);
  });

  it('rebuilds wiped read tables from the event store as the service wrote them, the erased customer still purged', async () => {
    const before = await snapshot();
    expect(before.customers).toHaveLength(30);
    expect(before.customer_notes.length).toBeGreaterThan(0);
    expect(before.customer_transfers).toHaveLength(1);

    for (const table of Object.keys(ORDER)) await dataSource.query(`DELETE FROM ${s}.${table}`);
    const progress: number[] = [];
    const result = await rebuilder({ onProgress: (p) => progress.push(p.done) }).run();

    const after = await snapshot();
    expect(after).toEqual(withMaskedForms(before));
    expect(result.rows).toEqual(Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.length])));
    const [{ count }]: Array<{ count: string }> = await dataSource.query(
      `SELECT count(*) AS count FROM ${s}.events WHERE stream_id LIKE 'customer-%' OR stream_id LIKE 'transfer-%'`,
    );
    expect(result.events).toBe(Number(count));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(result.events);

    const [erased] = after.customers.filter((row) => row.id === erasedId);
    expect(erased).toMatchObject({
      status: 'erased', name: null, company: null, mobile_ciphertext: null, mobile_index: null,
      national_id_ciphertext: null, national_id_index: null, mobile_masked: null, national_id_masked: null,
    });
    for (const table of ['customer_notes', 'customer_transactions', 'customer_consent_changes']) {
      expect(after[table].filter((row) => row.customer_id === erasedId)).toEqual([]);
    }
    // Names of v3 registrations come back in clear, as the service wrote them; the masked forms of the rest.
    const names = new Map(after.customers.map((row) => [row.id as string, row]));
    expect([...names.values()].map((row) => row.name)).toEqual(expect.arrayContaining(['张三丰', 'Jane Smith', 'Legacy One', 'Legacy Two', 'Customer 7']));
    expect([...names.values()].find((row) => row.name === '张三丰')).toMatchObject({ company: null, mobile_masked: '137****7000', email_ciphertext: null });
    expect([...names.values()].find((row) => row.name === 'Customer 7')?.company).toBe('Company 7');

    // Rebuilding a read model that is right leaves every row alone (same row versions).
    const versions = async () => dataSource.query(`SELECT id, xmin::text AS xmin FROM ${s}.customers ORDER BY id`);
    const untouched = await versions();
    await rebuilder().run();
    expect(await versions()).toEqual(untouched);
    expect(await snapshot()).toEqual(after);
  });

  it('loses no write made while it runs: events committed during the build or before the swap end up in the rebuilt tables', async () => {
    // An open transaction holds the commit-safe horizon back: registrations committed after it are
    // invisible to the build's reads and reach the rebuilt tables only through the swap's catch-up.
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT pg_current_xact_id()');
    const behind: string[] = [];
    const concurrent: Array<Promise<string>> = [];
    try {
      for (let i = 0; i < 3; i += 1) behind.push(await register({ name: `Behind ${i}`, mobile: `1330000000${i}` }));
      let started = false;
      const result = await rebuilder({
        batchSize: 5,
        horizonWaitMs: 300,
        onProgress: () => {
          if (started) return;
          started = true;
          for (let i = 0; i < 6; i += 1) concurrent.push(register({ name: `During ${i}`, email: `during${i}@example.com` }));
        },
      }).run();
      expect(result.events).toBeGreaterThan(0);
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
    const ids = [...behind, ...(await Promise.all(concurrent))];

    const rows: Row[] = await dataSource.query(`SELECT * FROM ${s}.customers WHERE id = ANY($1::uuid[]) ORDER BY name`, [ids]);
    expect(rows.map((row) => [row.name, row.status, row.version])).toEqual([
      ...[0, 1, 2].map((i) => [`Behind ${i}`, 'active', 1]),
      ...[0, 1, 2, 3, 4, 5].map((i) => [`During ${i}`, 'active', 1]),
    ]);
    expect(rows.every((row) => row.mobile_ciphertext !== null || row.email_ciphertext !== null)).toBe(true);

    // And a rebuild now gives exactly what the live path left.
    const live = await snapshot();
    await rebuilder().run();
    expect(await snapshot()).toEqual(withMaskedForms(live));
  });

  it('refuses a second rebuild of the same schema while one runs, and leaves no shadow schema behind', async () => {
    const running: { second?: Promise<unknown> } = {};
    await rebuilder({
      onProgress: () => {
        running.second ??= rebuilder().run().then(
          () => null,
          (error: unknown) => error,
        );
      },
    }).run();
    const error = await running.second;
    expect(error).toBeInstanceOf(ReadModelRebuildError);
    expect((error as Error).message).toMatch(/another rebuild of schema .* is running/);
    const [{ found }]: Array<{ found: string | null }> = await dataSource.query('SELECT to_regnamespace($1)::text AS found', [shadowSchemaOf(schema)]);
    expect(found).toBeNull();
  });
});
