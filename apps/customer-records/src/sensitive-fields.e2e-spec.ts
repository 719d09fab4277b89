import { randomBytes } from 'node:crypto';
import { Topics } from '@warden/contracts';
import { FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { quoteSchema } from '@warden/event-store';
import {
  createTestSchema,
  dropTestSchema,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
  freePort,
} from '@warden/testing';
import type { DataSource } from 'typeorm';
import { loadCustomerRecordsConfig } from './core/config';
import { PostgresDataKeyStore } from './crypto/postgres-data-key-store';
import { rotateDataKeys } from './crypto/rotate-keys';
import { AbilityStub } from './test/ability-stub';

type View = Record<string, unknown> & { id: string };
type Page = { items: View[]; nextCursor: string | null };

/** Planted sensitive values, each with every form in which it must never be found in clear. */
const planted = {
  mobile: '+86 139-1234-5678',
  email: 'ada.planted.7731@example.org',
  nationalId: '11010119900307123X',
  address: '北京市朝阳区建国路88号华贸中心7731室',
};
const forbidden = [
  planted.mobile,
  '13912345678',
  '8613912345678',
  '139-1234-5678',
  '139 1234 5678',
  planted.email,
  'ada.planted.7731',
  planted.nationalId,
  planted.nationalId.toLowerCase(),
  planted.address,
  '建国路88号华贸中心7731室',
];

describe('customer-records sensitive fields (running app)', () => {
  const schema = uniqueName('e2e_sensitive');
  const topicPrefix = uniqueTopicPrefix('e2e-sensitive');
  const topic = `${topicPrefix}${Topics.events('customer-records')}`;
  let port = 0;
  const kek1 = `1:${randomBytes(32).toString('base64')}`;
  const blindIndexKey = randomBytes(32).toString('base64');
  const control = `Planted Control ${randomBytes(6).toString('hex')}`;
  /** A non-ASCII control, so the scan is shown to see Chinese text as written (not \u-escaped). */
  const controlCompany = `华贸对照${randomBytes(3).toString('hex')}`;
  let app: LaunchedApp;
  let inspector: DataSource;
  let issuer: TestTokenIssuer;
  let stub: AbilityStub;
  /** Staff: registers the customers and owns them (sees mobile and e-mail in clear). */
  let token = '';
  /** The supervisor of their team: reads them with every sensitive field masked. */
  let readerToken = '';
  const team = `team-sensitive-${randomBytes(6).toString('hex')}`;
  let full: View;
  let mobileOnly: View;

  const get = async (path: string): Promise<Response> =>
    fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${readerToken}` } });
  const register = async (body: Record<string, unknown>): Promise<Response> =>
    fetch(`${app.url}/v1/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const expectError = async (res: Response, status: number, code: string, message: RegExp) => {
    const body = (await res.json()) as { code: string; message: string };
    expect({ status: res.status, code: body.code }).toEqual({ status, code });
    expect(body.message).toMatch(message);
    for (const value of forbidden) expect(body.message).not.toContain(value);
  };

  beforeAll(async () => {
    port = await freePort();
    const env = testEnv();
    issuer = await TestTokenIssuer.start();
    const staff = '01a224c1-0000-7000-8000-0000000000aa';
    const supervisor = `01a224c1-0000-7000-8000-${randomBytes(6).toString('hex')}`;
    stub = await AbilityStub.start({
      [staff]: { roles: ['staff'], teamIds: [team] },
      [supervisor]: { roles: ['supervisor'], teamIds: [team] },
    });
    token = await issuer.issue({ userId: staff, roles: ['staff'] });
    readerToken = await issuer.issue({ userId: supervisor, roles: ['supervisor'], teamId: team });
    app = await launchApp('customer-records', {
      port,
      env: {
        CUSTOMER_RECORDS_PORT: String(port),
        CUSTOMER_RECORDS_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        AUTH_JWKS_URL: issuer.jwksUrl,
        AUTHORIZATION_URL: stub.url,
        WARDEN_KEKS: kek1,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: blindIndexKey,
      },
    });
    ({ dataSource: inspector } = await createTestSchema('e2e_sensitive', [], schema));

    const first = await register({
      name: control,
      company: controlCompany,
      classification: 'restricted',
      teamId: team,
      ...planted,
    });
    expect(first.status).toBe(201);
    full = (await first.json()) as View;
    const second = await register({ name: `${control} bis`, mobile: '13912345678', teamId: team });
    expect(second.status).toBe(201);
    mobileOnly = (await second.json()) as View;
  });

  afterAll(async () => {
    await app?.stop();
    await stub?.stop();
    await issuer?.stop();
    await dropTestSchema(inspector, schema);
  });

  describe('reading a customer', () => {
    it("returns every sensitive field masked to the team's supervisor", async () => {
      const res = await get(`/v1/customers/${full.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        id: full.id,
        name: control,
        mobile: '139****5678',
        email: 'a***@example.org',
        nationalId: '110101********123X',
        address: '北京市',
      });
      // The registering owner (staff) was answered with mobile and e-mail in clear, the rest masked.
      expect(full).toMatchObject({
        mobile: planted.mobile,
        email: planted.email,
        nationalId: '110101********123X',
        address: '北京市',
      });
    });

    it('returns null for sensitive fields that were not given', async () => {
      expect(await (await get(`/v1/customers/${mobileOnly.id}`)).json()).toMatchObject({
        mobile: '139****5678',
        email: null,
        nationalId: null,
        address: null,
      });
    });
  });

  describe('searching by blind index', () => {
    const search = async (query: string): Promise<Page> => {
      const res = await get(`/v1/customers?${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as Page;
    };

    it('finds a mobile number written differently, with masked results', async () => {
      const page = await search('mobile=13912345678');
      expect(page.items.map((c) => c.id).sort()).toEqual([full.id, mobileOnly.id].sort());
      expect(page.nextCursor).toBeNull();
      for (const item of page.items) expect(item.mobile).toBe('139****5678');
      expect((await search(`mobile=${encodeURIComponent('0086 (139) 1234.5678')}`)).items).toHaveLength(2);
    });

    it('finds a national ID with a lower-case check letter, and an e-mail in another case', async () => {
      const byId = await search('nationalId=11010119900307123x');
      expect(byId.items.map((c) => c.id)).toEqual([full.id]);
      expect(byId.items[0]).toMatchObject({ nationalId: '110101********123X', address: '北京市' });
      const byEmail = await search(`email=${encodeURIComponent(' ADA.Planted.7731@Example.org ')}`);
      expect(byEmail.items.map((c) => c.id)).toEqual([full.id]);
    });

    it('finds nothing for a value no customer has', async () => {
      expect(await search('mobile=13912345679')).toEqual({ items: [], nextCursor: null });
    });

    it('pages with limit and an opaque cursor', async () => {
      const [firstId, secondId] = [full.id, mobileOnly.id].sort();
      const one = await search('mobile=13912345678&limit=1');
      expect(one.items.map((c) => c.id)).toEqual([firstId]);
      expect(one.nextCursor).toEqual(expect.any(String));
      const two = await search(`mobile=13912345678&limit=1&cursor=${one.nextCursor}`);
      expect(two).toMatchObject({ items: [expect.objectContaining({ id: secondId })], nextCursor: null });
    });

    it('refuses an empty or unusable value with INVALID_INDEX_VALUE naming the field', async () => {
      await expectError(await get('/v1/customers?mobile='), 400, 'INVALID_INDEX_VALUE', /^mobile /);
      await expectError(await get('/v1/customers?mobile=call-me'), 400, 'INVALID_INDEX_VALUE', /^mobile /);
      await expectError(await get('/v1/customers?email=nobody'), 400, 'INVALID_INDEX_VALUE', /^email /);
      await expectError(
        await get('/v1/customers?nationalId=%20%20'),
        400,
        'INVALID_INDEX_VALUE',
        /^nationalId /,
      );
    });

    it('refuses a limit over 200 and a foreign cursor', async () => {
      await expectError(
        await get('/v1/customers?mobile=13912345678&limit=201'),
        400,
        'VALIDATION_FAILED',
        /query\.limit/,
      );
      await expectError(
        await get('/v1/customers?mobile=13912345678&cursor=abc'),
        400,
        'VALIDATION_FAILED',
        /query\.cursor/,
      );
    });

    it('requires authentication', async () => {
      const res = await fetch(`${app.url}/v1/customers?mobile=13912345678`);
      expect(res.status).toBe(401);
    });
  });

  describe('registering with bad sensitive input', () => {
    it.each([
      ['email', { email: 'not-an-email' }],
      ['mobile', { mobile: 'call me maybe' }],
      ['mobile', { mobile: '1'.repeat(40) }],
      ['nationalId', { nationalId: '110101-1990' }],
      ['address', { address: 'x'.repeat(501) }],
      ['address', { address: '   ' }],
    ])('is a 400 naming body.%s', async (field, body) => {
      await expectError(
        await register({ name: 'Bad Input', ...body }),
        400,
        'VALIDATION_FAILED',
        new RegExp(`body\\.${field}: `),
      );
    });
  });

  describe('the plaintext scan', () => {
    it('finds no planted value in the Kafka topic, only ciphertexts; name and company too since v3 (the team id is found)', async () => {
      const keys = [full.id, mobileOnly.id].map((id) => `customer-${id}`);
      const messages = await readTopic(testKafka('e2e-sensitive-scan'), topic, {
        until: (read) => keys.every((key) => read.some((m) => m.key === key)),
      });
      expect(messages.map((m) => m.key)).toEqual(expect.arrayContaining(keys));
      const dump = messages.map((m) => `${m.key}\n${JSON.stringify(m.headers)}\n${m.value}`).join('\n');
      expect(dump).toContain(team);
      for (const value of [...forbidden, control, controlCompany])
        expect({ value, found: dump.includes(value) }).toEqual({ value, found: false });
      const event = JSON.parse(messages.find((m) => m.key === keys[0])?.value ?? '{}');
      expect(event).toMatchObject({
        schemaVersion: 3,
        data: { sensitive: { mobile: { ciphertext: expect.stringMatching(/^v1\./) }, name: { ciphertext: expect.stringMatching(/^v1\./) } } },
      });
    });

    it('finds no planted value in any table of the schema outside the key store (the control name is found)', async () => {
      const tables: Array<{ table_name: string }> = await inspector.query(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> 'customer_data_keys'
         ORDER BY table_name`,
        [schema],
      );
      const names = tables.map((t) => t.table_name);
      expect(names).toEqual(expect.arrayContaining(['customers', 'events', 'streams', 'migrations']));
      let dump = '';
      for (const name of names) {
        const rows: Array<{ row: string }> = await inspector.query(
          `SELECT row_to_json(t)::text AS row FROM ${quoteSchema(schema)}."${name.replace(/"/g, '""')}" t`,
        );
        dump += `${name}\n${rows.map((r) => r.row).join('\n')}\n`;
      }
      expect(dump).toContain(control);
      expect(dump).toContain(controlCompany);
      for (const value of forbidden)
        expect({ value, found: dump.includes(value) }).toEqual({ value, found: false });
    });
  });

  describe('rotating the key-encryption key', () => {
    it('re-wraps every data key under version 2 and leaves the old ciphertexts readable', async () => {
      const keysBefore: Array<{ subject_id: string; kek_version: number; ciphertext: string }> =
        await inspector.query(
          `SELECT subject_id, kek_version, ciphertext FROM ${quoteSchema(schema)}.customer_data_keys ORDER BY subject_id`,
        );
      expect(keysBefore.map((k) => k.subject_id).sort()).toEqual([full.id, mobileOnly.id].sort());
      expect(keysBefore.every((k) => k.kek_version === 1)).toBe(true);

      const kek2 = `2:${randomBytes(32).toString('base64')}`;
      const config = loadCustomerRecordsConfig({
        DATABASE_URL: testEnv().databaseUrl,
        CUSTOMER_RECORDS_DB_SCHEMA: schema,
        WARDEN_KEKS: `${kek1},${kek2}`,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: blindIndexKey,
      });
      const lines: string[] = [];
      const result = await rotateDataKeys(config, (line) => lines.push(line), 1);
      expect(result).toMatchObject({ done: 2, total: 2, rewrapped: 2, skipped: 0, failed: 0, remaining: 0 });
      expect(lines[0]).toMatch(/under KEK version 2/);
      expect(lines).toContain('  1/2 examined: 1 re-wrapped, 0 skipped, 0 failed');
      expect(lines.at(-1)).toMatch(/remaining on an older version: 0/);

      const keysAfter: Array<{ kek_version: number; ciphertext: string }> = await inspector.query(
        `SELECT kek_version, ciphertext FROM ${quoteSchema(schema)}.customer_data_keys ORDER BY subject_id`,
      );
      expect(keysAfter.map((k) => k.kek_version)).toEqual([2, 2]);
      expect(keysAfter.map((k) => k.ciphertext)).not.toEqual(keysBefore.map((k) => k.ciphertext));

      // The field ciphertexts written before the rotation decrypt with the new KEK alone.
      const [{ data }]: Array<{ data: { sensitive: Record<string, { ciphertext: string }> } }> =
        await inspector.query(`SELECT data FROM ${quoteSchema(schema)}.events WHERE stream_id = $1`, [
          `customer-${full.id}`,
        ]);
      const onlyV2 = new FieldCipher(
        StaticKeyProvider.fromKeyring(kek2),
        new PostgresDataKeyStore(inspector, schema),
      );
      for (const field of ['mobile', 'email', 'nationalId', 'address'] as const) {
        expect(await onlyV2.decrypt(full.id, field, data.sensitive[field].ciphertext)).toBe(planted[field]);
      }

      // A second run has nothing left to do.
      expect(await rotateDataKeys(config, () => undefined)).toMatchObject({
        rewrapped: 0,
        skipped: 2,
        remaining: 0,
      });
      // The service keeps answering throughout.
      expect((await get(`/v1/customers/${full.id}`)).status).toBe(200);
    });
  });
});
