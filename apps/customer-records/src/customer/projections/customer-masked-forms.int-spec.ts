import { randomBytes, randomUUID } from 'node:crypto';
import { eventRegistry } from '@warden/contracts';
import { BlindIndexer, FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { BatchedAppender, EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import type { FieldLevel, Policy } from '@warden/security';
import { staffPolicyWithErasure } from '../../test/staff-policy';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { AccessRecorder } from '../../access/access-recorder.service';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from '../../crypto/postgres-data-key-store';
import { customerReadIndexMigrations } from '../customer-read-indexes.migrations';
import { customerColumnsFor, CustomerQueryService, rowLevelsMemo, type CustomerRow } from '../customer-query.service';
import { maskSensitive } from '../customer-sensitive.util';
import { CUSTOMER_VIEW_FIELDS, type CustomerViewField } from '../customer-view.util';
import { CustomerService, customerStreamId } from '../customer.service';
import {
  customerReadModelMigrations,
  customerReadModelProjection,
  writeCustomerMaskedForms,
  writeCustomersClearColumns,
} from './customer-read-model.projection';

const OWNER = 'u-masked-owner';
const mobile = '+86 139-2468-1357';
const email = 'grace.hopper@example.org';
const nationalId = '11010119900307123X';

/** mobile, e-mail and national id at `masked`, everything else left out (as an export stream asks). */
const maskedLevels = Object.fromEntries(
  CUSTOMER_VIEW_FIELDS.map((field) => [field, ['mobile', 'email', 'nationalId'].includes(field) ? 'masked' : field === 'id' || field === 'version' ? 'clear' : 'none']),
) as Record<CustomerViewField, FieldLevel>;

describe('masked forms in the customers read model', () => {
  const schema = uniqueName('t_masked_forms');
  let dataSource: DataSource;
  let customers: CustomerService;
  let store: EventStore;
  let cipher: FieldCipher;
  let indexer: BlindIndexer;
  let queries: CustomerQueryService;
  let appender: BatchedAppender;
  let policy: Policy;
  let s: string;

  const metadata = (): CommandMetadata => ({
    actor: { userId: OWNER, sessionId: null, ip: null, userAgent: null, deviceId: null },
    correlationId: randomUUID(),
    now: new Date(),
  });
  const rowOf = async (id: string): Promise<CustomerRow> =>
    ((await dataSource.query(`SELECT * FROM ${s}.customers WHERE id = $1`, [id])) as CustomerRow[])[0];
  /** Registers a customer, then writes its masked forms (what the service writes beside the projection). */
  const register = async (): Promise<string> => {
    const view = await customers.register(
      { name: 'Grace Hopper', company: null, tags: [], classification: 'internal', ownerId: OWNER, teamId: 'team-m', mobile, email, nationalId },
      metadata(),
      policy,
    );
    const id = view.id as string;
    await dataSource.transaction((manager) => writeCustomerMaskedForms(manager, schema, id, { mobile, email, nationalId }));
    return id;
  };

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema(
      'masked_forms',
      [...customerReadModelMigrations(schema), ...dataKeyStoreMigrations(schema), ...customerReadIndexMigrations(schema)],
      schema,
    ));
    s = quoteSchema(schema);
    store = new EventStore({ dataSource, schema, registry: eventRegistry, projections: [customerReadModelProjection(schema)] });
    cipher = new FieldCipher(StaticKeyProvider.fromKeyring(`1:${randomBytes(32).toString('base64')}`), new PostgresDataKeyStore(dataSource, schema));
    indexer = BlindIndexer.fromBase64(randomBytes(32).toString('base64'));
    customers = new CustomerService(store, dataSource, cipher, indexer);
    appender = new BatchedAppender({ store, dataSource, registry: eventRegistry });
    queries = new CustomerQueryService(store, dataSource, cipher, indexer, new AccessRecorder(appender));
    policy = staffPolicyWithErasure(OWNER, 'team-m');
  });

  afterAll(async () => {
    await appender?.close();
    await dropTestSchema(dataSource, schema);
  });

  it('keeps the masked form of each field written, never its value in clear', async () => {
    const id = await register();
    const row = await rowOf(id);
    expect(row).toMatchObject({
      mobile_masked: maskSensitive.mobile(mobile),
      email_masked: maskSensitive.email(email),
      national_id_masked: maskSensitive.nationalId(nationalId),
      address_masked: null,
    });
    const dump = JSON.stringify(row);
    for (const value of [mobile, '13924681357', email, 'grace.hopper', nationalId]) expect(dump).not.toContain(value);
  });

  it('shows masked fields from their stored forms without loading any data key, as decrypting would', async () => {
    const id = await register();
    const columns = customerColumnsFor(['mobile', 'email', 'nationalId']);
    const read = async () => (await queries.page({}, policy, null, 1000, columns)).find((r) => r.id === id) as CustomerRow;
    const row = await read();
    // Masked forms known: the ciphertexts are not even read.
    expect(row).toMatchObject({ mobile_ciphertext: null, email_ciphertext: null, national_id_ciphertext: null });
    const levelsOf = rowLevelsMemo(() => ({ ...maskedLevels }));
    const keys = await queries.keysForPage([row], levelsOf);
    expect(keys.size).toBe(0);
    const view = queries.viewWith(row, maskedLevels, null);
    expect(view).toEqual({
      id,
      version: 1,
      mobile: maskSensitive.mobile(mobile),
      email: maskSensitive.email(email),
      nationalId: maskSensitive.nationalId(nationalId),
    });
    // The same row without its masked forms (as written before they existed): decrypted and masked alike.
    await dataSource.query(`UPDATE ${s}.customers SET mobile_masked = NULL, email_masked = NULL, national_id_masked = NULL WHERE id = $1`, [id]);
    const legacy = await read();
    expect(legacy.mobile_ciphertext).toMatch(/^v1\./);
    const legacyKeys = await queries.keysForPage([legacy], levelsOf);
    expect(legacyKeys.size).toBe(1);
    expect(queries.viewWith(legacy, maskedLevels, legacyKeys)).toEqual(view);
  });

  it('forgets the masked form of a field whose ciphertext an update changes (readers decrypt the new one), keeps the others', async () => {
    const id = await register();
    // The projection alone (what the service writes beside it is not part of this): a new mobile.
    const changed = '+86 138-0000-9999';
    const sensitive = { mobile: { ciphertext: await cipher.encrypt(id, 'mobile', changed), index: indexer.index('phone', changed) } };
    await store.append(customerStreamId(id), [{ type: 'CustomerUpdated', data: { customerId: id, sensitive } }], { expectedVersion: 1, metadata: metadata() });
    const row = await rowOf(id);
    expect(row.version).toBe(2);
    expect(row.mobile_masked).toBeNull();
    expect(row.email_masked).toBe(maskSensitive.email(email));
    const levelsOf = rowLevelsMemo(() => ({ ...maskedLevels }));
    const keys = await queries.keysForPage([row], levelsOf);
    expect(queries.viewWith(row, maskedLevels, keys).mobile).toBe(maskSensitive.mobile(changed));
  });

  it('writes many customers\' names and masked forms in one statement: a value sets, null clears, an absent field is left as it is', async () => {
    const [a, b] = [await register(), await register()];
    await dataSource.transaction((manager) =>
      writeCustomersClearColumns(manager, schema, [
        { customerId: a, names: { name: 'Ada Lovelace', company: 'Analytical Engines' }, clear: { mobile: '13800138000', email: null } },
        { customerId: b, names: { company: null }, clear: { address: 'Beijing, Chaoyang Rd 88' } },
      ]),
    );
    expect(await rowOf(a)).toMatchObject({
      name: 'Ada Lovelace',
      company: 'Analytical Engines',
      mobile_masked: maskSensitive.mobile('13800138000'),
      email_masked: null,
      national_id_masked: maskSensitive.nationalId(nationalId),
      address_masked: null,
    });
    expect(await rowOf(b)).toMatchObject({
      name: 'Grace Hopper',
      company: null,
      mobile_masked: maskSensitive.mobile(mobile),
      email_masked: maskSensitive.email(email),
      national_id_masked: maskSensitive.nationalId(nationalId),
      address_masked: maskSensitive.address('Beijing, Chaoyang Rd 88'),
    });
  });

  it('clears every masked form with the row when the customer is erased', async () => {
    const id = await register();
    await customers.erase(id, { legalBasis: 'subject-request', reason: 'subject asked' }, metadata(), policy);
    expect(await rowOf(id)).toMatchObject({
      status: 'erased',
      mobile_masked: null,
      email_masked: null,
      national_id_masked: null,
      address_masked: null,
    });
  });
});
