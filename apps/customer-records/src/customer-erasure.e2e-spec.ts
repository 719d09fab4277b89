import { randomBytes, randomUUID } from 'node:crypto';
import { Topics } from '@warden/contracts';
import { FieldCipher, StaticKeyProvider, SubjectShreddedError } from '@warden/crypto';
import { quoteSchema } from '@warden/event-store';
import {
  createTestSchema,
  dropTestSchema,
  freePort,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { DataSource } from 'typeorm';
import { PostgresDataKeyStore } from './crypto/postgres-data-key-store';
import { AbilityStub } from './test/ability-stub';

type View = Record<string, unknown> & { id: string };
type Page = { items: View[]; nextCursor: string | null };
type KeyRow = { subject_id: string; kek_version: number; ciphertext: string };

/** Planted sensitive values of the customer to erase. */
const planted = {
  mobile: '+86 139-8765-4321',
  email: 'erase.me.5521@example.org',
  nationalId: '110101198801015521',
  address: '上海市浦东新区世纪大道100号5521室',
};
const SENSITIVE = ['mobile', 'email', 'nationalId', 'address'] as const;
const body = { legalBasis: 'subject-request', reason: 'data subject request DSR-5521' };

/**
 * Erasure (PIPL/GDPR) over HTTP: `DELETE /v1/customers/:id` appends `CustomerErased` (the read
 * model keeps only what audit needs) and crypto-shreds the customer's data key, so the ciphertexts
 * left in the event log can no longer be decrypted. No default role may delete a customer: the
 * eraser holds a grant for it.
 */
describe('customer-records erasure (running app)', () => {
  const schema = uniqueName('e2e_erasure');
  const topicPrefix = uniqueTopicPrefix('e2e-erasure');
  const topic = `${topicPrefix}${Topics.events('customer-records')}`;
  const kek = `1:${randomBytes(32).toString('base64')}`;
  const team = `team-erasure-${randomUUID()}`;
  // Fresh users per run: nothing cached in Redis by an earlier run applies to them.
  const eraser = randomUUID();
  const otherEraser = randomUUID();
  const supervisor = randomUUID();
  const tokens: Record<string, string> = {};
  let app: LaunchedApp;
  let inspector: DataSource;
  let issuer: TestTokenIssuer;
  let stub: AbilityStub;
  let s = '';

  const request = (as: string, method: string, path: string, payload?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}` },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  const erase = (as: string, id: string, payload: unknown = body) => request(as, 'DELETE', `/v1/customers/${id}`, payload);
  const register = async (as: string, payload: Record<string, unknown>): Promise<View> => {
    const res = await request(as, 'POST', '/v1/customers', payload);
    expect(res.status).toBe(201);
    return (await res.json()) as View;
  };
  const expectError = async (res: Response, status: number, code: string, message?: RegExp) => {
    const answer = (await res.json()) as { code: string; message: string };
    expect({ status: res.status, code: answer.code }).toEqual({ status, code });
    if (message) expect(answer.message).toMatch(message);
  };
  const dataKeys = (id: string): Promise<KeyRow[]> =>
    inspector.query(`SELECT subject_id, kek_version, ciphertext FROM ${s}.customer_data_keys WHERE subject_id = $1`, [id]);
  const registeredCiphertexts = async (id: string): Promise<Record<string, { ciphertext: string }>> => {
    const [{ data }]: Array<{ data: { sensitive: Record<string, { ciphertext: string }> } }> = await inspector.query(
      `SELECT data FROM ${s}.events WHERE stream_id = $1 AND type = 'CustomerRegistered'`,
      [`customer-${id}`],
    );
    return data.sensitive;
  };
  /** A cipher of its own (no cache shared with the app), over the app's key store. */
  const freshCipher = () => new FieldCipher(StaticKeyProvider.fromKeyring(kek), new PostgresDataKeyStore(inspector, schema));

  beforeAll(async () => {
    const port = await freePort();
    const env = testEnv();
    issuer = await TestTokenIssuer.start();
    const deleteOwn = [{ action: 'delete' as const, subject: 'Customer' as const, conditions: { owner: 'me' as const } }];
    stub = await AbilityStub.start({
      [eraser]: { roles: ['staff'], teamIds: [team], grants: deleteOwn },
      [otherEraser]: { roles: ['staff'], teamIds: [team], grants: deleteOwn },
      [supervisor]: { roles: ['supervisor'], teamIds: [team] },
    });
    tokens.eraser = await issuer.issue({ userId: eraser, roles: ['staff'] });
    tokens.otherEraser = await issuer.issue({ userId: otherEraser, roles: ['staff'] });
    tokens.supervisor = await issuer.issue({ userId: supervisor, roles: ['supervisor'], teamId: team });
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
        WARDEN_KEKS: kek,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
    });
    ({ dataSource: inspector } = await createTestSchema('e2e_erasure', [], schema));
    s = quoteSchema(schema);
  });

  afterAll(async () => {
    await app?.stop();
    await stub?.stop();
    await issuer?.stop();
    await dropTestSchema(inspector, schema);
  });

  describe('when the owner with a delete grant erases a customer', () => {
    let customer: View;
    let before: Record<string, { ciphertext: string }>;

    beforeAll(async () => {
      customer = await register('eraser', { name: 'Erase Me', company: 'Forgotten Ltd', tags: ['vip'], teamId: team, ...planted });
      before = await registeredCiphertexts(customer.id);
      // The planted values are readable until the erasure (so the checks below can fail).
      const cipher = freshCipher();
      for (const field of SENSITIVE) expect(await cipher.decrypt(customer.id, field, before[field].ciphertext)).toBe(planted[field]);
      const res = await erase('eraser', customer.id);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    });

    it('answers CUSTOMER_ERASED (410) to a read by anyone who could see it', async () => {
      await expectError(await request('eraser', 'GET', `/v1/customers/${customer.id}`), 410, 'CUSTOMER_ERASED');
      await expectError(await request('supervisor', 'GET', `/v1/customers/${customer.id}`), 410, 'CUSTOMER_ERASED');
    });

    it('is never found by a search on its planted mobile', async () => {
      const res = await request('eraser', 'GET', `/v1/customers?mobile=${encodeURIComponent(planted.mobile)}`);
      expect(res.status).toBe(200);
      expect((await res.json()) as Page).toEqual({ items: [], nextCursor: null });
    });

    it('leaves no data key for the customer', async () => {
      expect(await dataKeys(customer.id)).toEqual([]);
    });

    it('leaves the ciphertexts of the event log undecryptable (SubjectShreddedError)', async () => {
      const cipher = freshCipher();
      for (const field of SENSITIVE) {
        await expect(cipher.decrypt(customer.id, field, before[field].ciphertext)).rejects.toThrow(SubjectShreddedError);
      }
    });

    it('keeps only what audit needs in the read model', async () => {
      const [row] = await inspector.query(`SELECT * FROM ${s}.customers WHERE id = $1`, [customer.id]);
      expect(row).toMatchObject({
        id: customer.id,
        status: 'erased',
        version: 2,
        owner_id: eraser,
        team_id: team,
        name: null,
        company: null,
        tags: [],
        mobile_ciphertext: null,
        mobile_index: null,
        email_ciphertext: null,
        email_index: null,
        national_id_ciphertext: null,
        national_id_index: null,
        address_ciphertext: null,
      });
      expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());
    });

    it('records CustomerErased in the events table and publishes it on Kafka', async () => {
      const expected = { customerId: customer.id, ...body };
      const events: Array<{ type: string; stream_version: number; data: unknown }> = await inspector.query(
        `SELECT type, stream_version, data FROM ${s}.events WHERE stream_id = $1 ORDER BY stream_version`,
        [`customer-${customer.id}`],
      );
      expect(events.map((e) => e.type)).toEqual(['CustomerRegistered', 'CustomerErased']);
      expect(events[1].data).toEqual(expected);

      const key = `customer-${customer.id}`;
      const isErased = (m: { key: string | null; value: string | null }) =>
        m.key === key && (JSON.parse(m.value ?? '{}') as { type?: string }).type === 'CustomerErased';
      const messages = await readTopic(testKafka('e2e-erasure'), topic, { until: (read) => read.some(isErased) });
      const published = messages.find(isErased);
      expect(JSON.parse(published?.value ?? '{}')).toMatchObject({ type: 'CustomerErased', streamVersion: 2, data: expected });
    });

    it('answers CUSTOMER_ERASED (410) to a second erasure', async () => {
      await expectError(await erase('eraser', customer.id), 410, 'CUSTOMER_ERASED');
    });
  });

  describe('when the shred of an earlier erasure did not happen', () => {
    it('shreds on the next erasure and only then answers 410', async () => {
      const customer = await register('eraser', { name: 'Half Erased', teamId: team, mobile: '13800005521' });
      const [key] = await dataKeys(customer.id);
      expect(key).toBeDefined();
      expect((await erase('eraser', customer.id)).status).toBe(204);
      // Put the key back: the state an erasure leaves when its append committed and its shred failed.
      await inspector.query(
        `INSERT INTO ${s}.customer_data_keys (subject_id, kek_version, ciphertext) VALUES ($1, $2, $3)`,
        [key.subject_id, key.kek_version, key.ciphertext],
      );
      await expectError(await erase('eraser', customer.id), 410, 'CUSTOMER_ERASED');
      expect(await dataKeys(customer.id)).toEqual([]);
    });
  });

  describe('when the caller may not erase the customer', () => {
    let customer: View;

    beforeAll(async () => {
      customer = await register('eraser', { name: 'Keep Me', teamId: team, mobile: '13800005522' });
    });

    it("is a 403 to the team's supervisor, who can read it but holds no delete", async () => {
      await expectError(await erase('supervisor', customer.id), 403, 'FORBIDDEN');
    });

    it("is a 404 to a user with delete on their own customers only (outside their view)", async () => {
      await expectError(await erase('otherEraser', customer.id), 404, 'CUSTOMER_NOT_FOUND');
    });

    it('is a 404 for a customer that does not exist', async () => {
      await expectError(await erase('eraser', randomUUID()), 404, 'CUSTOMER_NOT_FOUND');
    });

    it('leaves the customer readable and its data key in place', async () => {
      const res = await request('eraser', 'GET', `/v1/customers/${customer.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: customer.id, status: 'active', mobile: '13800005522' });
      expect(await dataKeys(customer.id)).toHaveLength(1);
    });
  });

  describe('when the body is bad', () => {
    it.each([
      ['legalBasis', { reason: 'no basis' }],
      ['legalBasis', { ...body, legalBasis: 'because' }],
      ['reason', { legalBasis: 'subject-request' }],
      ['reason', { ...body, reason: '   ' }],
      ['reason', { ...body, reason: 'x'.repeat(501) }],
    ])('is a 400 naming body.%s', async (field, payload) => {
      const customer = await register('eraser', { name: 'Bad Body', teamId: team });
      await expectError(await erase('eraser', customer.id, payload), 400, 'VALIDATION_FAILED', new RegExp(`body\\.${field}`));
      expect((await request('eraser', 'GET', `/v1/customers/${customer.id}`)).status).toBe(200);
    });

    it('is a 400 for a field it does not know', async () => {
      const customer = await register('eraser', { name: 'Bad Body', teamId: team });
      await expectError(await erase('eraser', customer.id, { ...body, name: 'x' }), 400, 'VALIDATION_FAILED');
    });
  });
});
