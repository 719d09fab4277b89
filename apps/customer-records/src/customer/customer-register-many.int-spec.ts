import { randomBytes, randomUUID } from 'node:crypto';
import { eventRegistry } from '@warden/contracts';
import { BlindIndexer, FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { ForbiddenError, type Policy } from '@warden/security';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from '../crypto/postgres-data-key-store';
import { staffPolicyWithErasure } from '../test/staff-policy';
import { maskSensitive } from './customer-sensitive.util';
import type { RegisterCustomerBody } from './customer.dto';
import { CustomerService } from './customer.service';
import { customerReadModelMigrations, customerReadModelProjection } from './projections/customer-read-model.projection';

const OWNER = 'u-register-many';

describe('CustomerService.registerMany (bulk import) against Postgres', () => {
  const schema = uniqueName('t_register_many');
  let dataSource: DataSource;
  let customers: CustomerService;
  let cipher: FieldCipher;
  let eventStore: EventStore;
  let policy: Policy;
  let s: string;
  const keyring = `1:${randomBytes(32).toString('base64')}`;

  const body = (i: number, overrides: Partial<RegisterCustomerBody> = {}): RegisterCustomerBody => ({
    name: `Customer ${i}`,
    company: null,
    tags: [],
    classification: 'internal',
    ownerId: null,
    teamId: 'team-r',
    mobile: `139${String(i).padStart(8, '0')}`,
    email: `customer${i}@example.org`,
    ...overrides,
  });
  const metadata = (cause: string): CommandMetadata => ({
    actor: { userId: OWNER, sessionId: null, ip: null, userAgent: null, deviceId: null },
    correlationId: randomUUID(),
    causationId: cause,
    now: new Date(),
  });
  const causeOf = async (customerId: string): Promise<string | null> =>
    ((await dataSource.query(`SELECT causation_id FROM ${s}.events WHERE stream_id = $1`, [`customer-${customerId}`])) as Array<{ causation_id: string }>)[0]
      ?.causation_id ?? null;

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema('register_many', [...customerReadModelMigrations(schema), ...dataKeyStoreMigrations(schema)], schema));
    s = quoteSchema(schema);
    eventStore = new EventStore({ dataSource, schema, registry: eventRegistry, projections: [customerReadModelProjection(schema)] });
    cipher = new FieldCipher(StaticKeyProvider.fromKeyring(keyring), new PostgresDataKeyStore(dataSource, schema));
    customers = new CustomerService(eventStore, dataSource, cipher, BlindIndexer.fromBase64(randomBytes(32).toString('base64')));
    policy = staffPolicyWithErasure(OWNER, 'team-r');
  });

  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  it('registers every customer as `register` does: one stream each, its own causation, names, masked forms and ciphertexts only', async () => {
    const tags = (i: number) => (i === 1 ? ['vip', 'quote " and, comma', '标签'] : []);
    const results = await customers.registerMany(
      [0, 1, 2].map((i) => ({ body: body(i, { tags: tags(i), company: i === 2 ? 'Acme' : null }), metadata: metadata(`batch-a:${i}`) })),
      policy,
    );
    expect(results).toHaveLength(3);
    for (const [i, result] of results.entries()) {
      if (!('id' in result)) throw new Error(`row ${i} was refused: ${String(result.error)}`);
      const [row] = (await dataSource.query(`SELECT * FROM ${s}.customers WHERE id = $1`, [result.id])) as Array<Record<string, unknown>>;
      expect(row).toMatchObject({
        name: `Customer ${i}`,
        company: i === 2 ? 'Acme' : null,
        tags: tags(i),
        owner_id: OWNER,
        team_id: 'team-r',
        status: 'active',
        mobile_masked: maskSensitive.mobile(body(i).mobile as string),
        email_masked: maskSensitive.email(body(i).email as string),
        national_id_masked: null,
        national_id_ciphertext: null,
        version: 1,
      });
      expect(row['mobile_index']).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(body(i).email as string);
      expect(await cipher.decrypt(result.id, 'email', row['email_ciphertext'] as string)).toBe(body(i).email);
      expect(await causeOf(result.id)).toBe(`batch-a:${i}`);
    }
  });

  it('answers a customer the policy refuses with its error, and registers the others', async () => {
    const results = await customers.registerMany(
      [body(10), body(11, { ownerId: 'someone-else' }), body(12)].map((b, i) => ({ body: b, metadata: metadata(`batch-b:${i}`) })),
      policy,
    );
    expect('id' in results[0] && 'id' in results[2]).toBe(true);
    expect((results[1] as { error: unknown }).error).toBeInstanceOf(ForbiddenError);
    const written = (await dataSource.query(`SELECT count(*)::int AS n FROM ${s}.events WHERE causation_id LIKE 'batch-b:%'`)) as Array<{ n: number }>;
    expect(written[0].n).toBe(2);
  });

  it('opens no transaction when the policy refuses every customer of the group', async () => {
    const transaction = jest.spyOn(dataSource, 'transaction');
    try {
      const results = await customers.registerMany(
        [body(13, { ownerId: 'someone-else' }), body(14, { ownerId: 'another' })].map((b, i) => ({ body: b, metadata: metadata(`batch-none:${i}`) })),
        policy,
      );
      expect(results.map((r) => (r as { error: unknown }).error instanceof ForbiddenError)).toEqual([true, true]);
      expect(transaction).not.toHaveBeenCalled();
    } finally {
      transaction.mockRestore();
    }
  });

  it('creates each key on first use when the keys of the group cannot be stored at once', async () => {
    const store = new PostgresDataKeyStore(dataSource, schema);
    store.putNewMany = async () => {
      throw new Error('the key store refused the group');
    };
    const cipherOfGroup = new FieldCipher(StaticKeyProvider.fromKeyring(keyring), store);
    const service = new CustomerService(eventStore, dataSource, cipherOfGroup, BlindIndexer.fromBase64(randomBytes(32).toString('base64')));
    const results = await service.registerMany([30, 31].map((i) => ({ body: body(i), metadata: metadata(`batch-d:${i}`) })), policy);
    for (const result of results) {
      if (!('id' in result)) throw new Error(`refused: ${String(result.error)}`);
      const [row] = (await dataSource.query(`SELECT email_ciphertext FROM ${s}.customers WHERE id = $1`, [result.id])) as Array<{ email_ciphertext: string }>;
      expect(await new FieldCipher(StaticKeyProvider.fromKeyring(keyring), new PostgresDataKeyStore(dataSource, schema)).decrypt(result.id, 'email', row.email_ciphertext)).toMatch(/^customer3[01]@example\.org$/);
    }
  });

  it('writes each customer alone when the shared transaction fails, so that only the failing one is refused', async () => {
    // A row the database refuses inside the transaction (what no check before it could see).
    await dataSource.query(`
      CREATE FUNCTION ${s}.refuse_name() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
      CREATE TRIGGER refuse_name BEFORE UPDATE ON ${s}.customers FOR EACH ROW
      WHEN (NEW.name = 'Refused Name') EXECUTE FUNCTION ${s}.refuse_name()`);
    try {
      const results = await customers.registerMany(
        [body(20), body(21, { name: 'Refused Name' }), body(22)].map((b, i) => ({ body: b, metadata: metadata(`batch-c:${i}`) })),
        policy,
      );
      expect('id' in results[0] && 'id' in results[2]).toBe(true);
      expect(results[1]).toHaveProperty('error');
      const ids = results.flatMap((r) => ('id' in r ? [r.id] : []));
      const rows = (await dataSource.query(`SELECT id, name FROM ${s}.customers WHERE id = ANY($1::uuid[]) ORDER BY name`, [ids])) as Array<{ name: string }>;
      expect(rows.map((r) => r.name)).toEqual(['Customer 20', 'Customer 22']);
      const events = (await dataSource.query(`SELECT causation_id FROM ${s}.events WHERE causation_id LIKE 'batch-c:%' ORDER BY causation_id`)) as Array<{ causation_id: string }>;
      expect(events.map((e) => e.causation_id)).toEqual(['batch-c:0', 'batch-c:2']);
    } finally {
      await dataSource.query(`DROP TRIGGER refuse_name ON ${s}.customers; DROP FUNCTION ${s}.refuse_name()`);
    }
  });
});
