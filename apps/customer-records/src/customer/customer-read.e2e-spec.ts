import { randomUUID } from 'node:crypto';
import { eventRegistry, type EventEnvelope } from '@warden/contracts';
import { expectEventually, readTopic } from '@warden/testing';
import { launchReadSideApp, type ReadSideApp } from '../test/read-side-app';

type View = Record<string, unknown> & { id: string; version: number };
type Page = { items: View[]; nextCursor: string | null };

const PLANTED = {
  mobile: '+86 139-7777-0142',
  email: 'reader.planted.0142@example.org',
  nationalId: '110101199207140142',
  address: '7 Quiet Lane, Springfield, IL 62701',
};
const MASKED_NATIONAL_ID = '110101********0142';

/**
 * The read side over HTTP: one customer (ETag, reveal), lists with every filter in SQL within the
 * caller's view, and the access events each read appends and the relay publishes to the access topic.
 */
describe('customer-records: reads, filters, reveal and access events (running app)', () => {
  const staffA = randomUUID();
  const staffB = randomUUID();
  const supervisor = randomUUID();
  const granted = randomUUID();
  const north = `team-north-${randomUUID()}`;
  const south = `team-south-${randomUUID()}`;
  let t: ReadSideApp;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const get = (as: string, path: string) => t.request(tokens[as], 'GET', path);
  const page = async (as: string, query: string): Promise<Page> => {
    const res = await get(as, `/v1/customers?${query}`);
    expect({ status: res.status, query }).toEqual({ status: 200, query });
    return (await res.json()) as Page;
  };
  const idsOf = async (as: string, query: string): Promise<string[]> => (await page(as, query)).items.map((c) => c.id);
  const expect400 = async (as: string, path: string, message: RegExp) => {
    const res = await get(as, path);
    const body = (await res.json()) as { code: string; message: string };
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(body.message).toMatch(message);
  };

  beforeAll(async () => {
    t = await launchReadSideApp('read', {
      [staffA]: { roles: ['staff'], teamIds: [north] },
      [staffB]: { roles: ['staff'], teamIds: [south] },
      [supervisor]: { roles: ['supervisor'], teamIds: [north] },
      [granted]: {
        roles: ['staff'],
        teamIds: [north],
        grants: [{ action: 'read', subject: 'Customer', conditions: { owner: 'me' }, fields: { nationalId: 'clear' } }],
      },
    });
    for (const [name, userId] of Object.entries({ staffA, staffB, supervisor, granted })) tokens[name] = await t.token(userId);
    const register = async (key: string, as: string, body: Record<string, unknown>) => {
      const res = await t.request(tokens[as], 'POST', '/v1/customers', body);
      expect(res.status).toBe(201);
      ids[key] = ((await res.json()) as View).id;
    };
    await register('a1', 'staffA', {
      name: 'Alpha Trading',
      company: 'Northwind Ltd',
      tags: ['vip', 'retail'],
      classification: 'internal',
      teamId: north,
      ...PLANTED,
    });
    await register('a2', 'staffA', { name: 'Beta Foods', company: 'Acme_100% Corp', tags: ['retail'], classification: 'confidential', teamId: north });
    await register('a3', 'staffA', { name: 'gamma ALPHA', tags: ['vip'], classification: 'public', teamId: north });
    await register('a4', 'staffA', { name: 'Alpha Archived', tags: ['vip'], teamId: north });
    await register('b1', 'staffB', { name: 'Alpha South', tags: ['vip', 'retail'], teamId: south, mobile: PLANTED.mobile });
    await register('g1', 'granted', { name: 'Granted One', teamId: north, mobile: PLANTED.mobile, nationalId: PLANTED.nationalId });
    // The archive command belongs to the write side; the read model's state is what a list reads.
    await t.db.query(`UPDATE "${t.schema}".customers SET status = 'archived' WHERE id = $1`, [ids.a4]);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
  });

  describe('GET /v1/customers/:id', () => {
    it('answers the view with its version and an ETag of that version', async () => {
      const res = await get('staffA', `/v1/customers/${ids.a1}`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as View;
      expect(view).toMatchObject({ id: ids.a1, version: 1, mobile: PLANTED.mobile, nationalId: MASKED_NATIONAL_ID });
      expect(res.headers.get('etag')).toBe('"1"');
    });

    it("answers 404 for another team's customer, exactly like a missing one (IDOR)", async () => {
      for (const id of [ids.b1, randomUUID()]) {
        const res = await get('staffA', `/v1/customers/${id}`);
        expect(res.status).toBe(404);
        expect(((await res.json()) as { message: string }).message).toBe(`customer ${id} not found`);
      }
      expect((await get('supervisor', `/v1/customers/${ids.b1}`)).status).toBe(404);
    });

    it('keeps answering when a migration adds a column to the read model while it runs (the read is a prepared statement)', async () => {
      const read = async () => {
        const res = await get('staffA', `/v1/customers/${ids.a1}`);
        expect(res.status).toBe(200);
        expect((await res.json()) as View).toMatchObject({ id: ids.a1, mobile: PLANTED.mobile });
      };
      // Enough reads that every pooled connection has prepared the statement and Postgres may plan it generically.
      for (let i = 0; i < 12; i++) await read();
      await t.db.query(`ALTER TABLE "${t.schema}".customers ADD COLUMN added_while_running text`);
      try {
        for (let i = 0; i < 12; i++) await read();
      } finally {
        await t.db.query(`ALTER TABLE "${t.schema}".customers DROP COLUMN added_while_running`);
      }
      await read();
    });
  });

  describe('reveal', () => {
    it('refuses a field the caller does not hold at clear with 403 naming it', async () => {
      const res = await get('staffA', `/v1/customers/${ids.a1}?reveal=nationalId&reason=kyc`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/nationalId/);
      const sup = await get('supervisor', `/v1/customers/${ids.a1}?reveal=mobile,email&reason=kyc`);
      expect(sup.status).toBe(403);
      expect(((await sup.json()) as { message: string }).message).toMatch(/mobile, email/);
    });

    it('requires a reason (400 naming it), and refuses a field that is not sensitive (400 naming reveal)', async () => {
      await expect400('granted', `/v1/customers/${ids.g1}?reveal=nationalId`, /query\.reason: is required/);
      await expect400('granted', `/v1/customers/${ids.g1}?reveal=nationalId&reason=%20`, /query\.reason/);
      await expect400('granted', `/v1/customers/${ids.g1}?reveal=name&reason=x`, /query\.reveal: name cannot be revealed/);
      await expect400('granted', `/v1/customers/${ids.g1}?reason=x`, /query\.reveal/);
    });

    it('shows a field held at clear only by a grant masked until revealed, then in clear', async () => {
      const plain = (await (await get('granted', `/v1/customers/${ids.g1}`)).json()) as View;
      expect(plain).toMatchObject({ mobile: PLANTED.mobile, nationalId: MASKED_NATIONAL_ID });
      const res = await get('granted', `/v1/customers/${ids.g1}?reveal=nationalId,mobile&reason=KYC%20renewal`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ mobile: PLANTED.mobile, nationalId: PLANTED.nationalId });
    });
  });

  describe('GET /v1/customers filters', () => {
    it('lists active customers in the caller view by default, hiding archived ones', async () => {
      expect(await idsOf('staffA', '')).toEqual([ids.a1, ids.a2, ids.a3].sort());
      expect(await idsOf('staffA', 'status=archived')).toEqual([ids.a4]);
      expect(await idsOf('staffA', 'status=active')).toEqual([ids.a1, ids.a2, ids.a3].sort());
    });

    it('q matches name or company, case-insensitively, as a literal substring', async () => {
      expect(await idsOf('staffA', 'q=alpha')).toEqual([ids.a1, ids.a3].sort());
      expect(await idsOf('staffA', 'q=NORTHWIND')).toEqual([ids.a1]);
      expect(await idsOf('staffA', `q=${encodeURIComponent('_100%')}`)).toEqual([ids.a2]);
      expect(await idsOf('staffA', `q=${encodeURIComponent('%')}`)).toEqual([ids.a2]);
      expect(await idsOf('staffA', `q=${encodeURIComponent('a_p')}`)).toEqual([]);
    });

    it('tags (all given), ownerId, teamId, classification and exact mobile, alone and combined', async () => {
      expect(await idsOf('staffA', 'tags=vip')).toEqual([ids.a1, ids.a3].sort());
      expect(await idsOf('staffA', 'tags=vip,retail')).toEqual([ids.a1]);
      expect(await idsOf('staffA', 'tags=vip&tags=retail')).toEqual([ids.a1]);
      expect(await idsOf('staffA', 'classification=confidential')).toEqual([ids.a2]);
      expect(await idsOf('supervisor', `ownerId=${staffA}`)).toEqual([ids.a1, ids.a2, ids.a3].sort());
      expect(await idsOf('supervisor', `teamId=${north}`)).toEqual([ids.a1, ids.a2, ids.a3, ids.g1].sort());
      expect(await idsOf('supervisor', `mobile=${encodeURIComponent('13977770142')}`)).toEqual([ids.a1, ids.g1].sort());
      expect(await idsOf('staffA', `q=alpha&tags=vip&classification=internal&mobile=${encodeURIComponent(PLANTED.mobile)}`)).toEqual([ids.a1]);
      expect(await idsOf('staffA', 'q=alpha&classification=confidential')).toEqual([]);
    });

    it("never shows customers outside the caller's view, whatever the filter (IDOR)", async () => {
      expect(await idsOf('staffA', `ownerId=${staffB}`)).toEqual([]);
      expect(await idsOf('staffA', `teamId=${south}`)).toEqual([]);
      expect(await idsOf('staffA', 'q=south')).toEqual([]);
      expect(await idsOf('staffB', `mobile=${encodeURIComponent(PLANTED.mobile)}`)).toEqual([ids.b1]);
      expect(await idsOf('supervisor', `teamId=${south}`)).toEqual([]);
    });

    it('pages stably by id with a cursor, also while customers are added', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const p: Page = await page('supervisor', `limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...p.items.map((c) => c.id));
        cursor = p.nextCursor;
        if (pages === 0) {
          const res = await t.request(tokens.staffA, 'POST', '/v1/customers', { name: 'Added While Paging', teamId: north });
          ids.added = ((await res.json()) as View).id;
        }
        pages += 1;
      } while (cursor && pages < 10);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual([ids.a1, ids.a2, ids.a3, ids.g1, ids.added].sort());
    });

    it('treats SQL injection attempts in every parameter as plain values', async () => {
      const [{ n: before }] = await t.db.query(`SELECT count(*)::int AS n FROM "${t.schema}".customers`);
      const attacks = ["' OR '1'='1", "x'; DROP TABLE customers; --", '") OR 1=1 --', "\\' OR 1=1 --", "a'}{"];
      for (const attack of attacks) {
        const v = encodeURIComponent(attack);
        for (const param of ['q', 'tags', 'ownerId', 'teamId']) {
          expect(await idsOf('staffA', `${param}=${v}`)).toEqual([]);
        }
        for (const param of ['classification', 'status', 'cursor', 'limit']) {
          expect((await get('staffA', `/v1/customers?${param}=${v}`)).status).toBe(400);
        }
        for (const param of ['mobile', 'email', 'nationalId']) {
          const res = await get('staffA', `/v1/customers?${param}=${v}`);
          expect([200, 400]).toContain(res.status);
          if (res.status === 200) expect(((await res.json()) as Page).items).toEqual([]);
        }
        expect((await get('staffA', `/v1/customers/${v}`)).status).toBe(400);
      }
      const [{ n: after }] = await t.db.query(`SELECT count(*)::int AS n FROM "${t.schema}".customers`);
      expect(after).toBe(before);
    });

    it('refuses bad values with 400 naming the parameter', async () => {
      await expect400('staffA', '/v1/customers?classification=secret', /query\.classification/);
      await expect400('staffA', '/v1/customers?status=erased', /query\.status/);
      await expect400('staffA', '/v1/customers?limit=0', /query\.limit/);
      await expect400('staffA', '/v1/customers?limit=abc', /query\.limit/);
      await expect400('staffA', '/v1/customers?q=', /query\.q/);
      await expect400('staffA', `/v1/customers?q=${'x'.repeat(101)}`, /query\.q/);
      await expect400('staffA', `/v1/customers?tags=${Array.from({ length: 21 }, (_, i) => `t${i}`).join(',')}`, /query\.tags/);
      await expect400('staffA', '/v1/customers?tags=,', /query\.tags/);
      await expect400('staffA', '/v1/customers?cursor=abc', /query\.cursor/);
      await expect400('staffA', '/v1/customers?mobile=call-me', /^mobile /);
      await expect400('staffA', '/v1/customers?colour=red', /unknown field\(s\) colour/);
    });
  });

  describe('access events', () => {
    const decoded = async (until: (events: EventEnvelope[]) => boolean): Promise<{ raw: string[]; events: EventEnvelope[] }> => {
      let raw: string[] = [];
      let events: EventEnvelope[] = [];
      await expectEventually(
        async () => {
          const messages = await readTopic(t.kafka, t.accessTopic, {
            until: (read) => until(read.map((m) => eventRegistry.decode(JSON.parse(m.value)))),
            timeoutMs: 10_000,
          });
          raw = messages.map((m) => m.value);
          events = raw.map((value) => eventRegistry.decode(JSON.parse(value)));
          if (!until(events)) throw new Error(`access events so far: ${events.map((e) => e.type).join(', ')}`);
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      return { raw, events };
    };

    it('arrive on the access topic, keyed by reader, with the fields shown, the filters used and no value', async () => {
      const qValue = `Northwind${randomUUID().slice(0, 6)}`;
      const viewed = await get('staffA', `/v1/customers/${ids.a1}`);
      expect(viewed.status).toBe(200);
      const listed = await page('staffA', 'limit=2');
      await page('staffA', `q=${qValue}&tags=vip&mobile=${encodeURIComponent(PLANTED.mobile)}`);
      const { raw, events } = await decoded(
        (all) =>
          // The last read of this test is the only search with exactly these keys; the granted
          // reader's reveals sit on another stream (and maybe another partition), so wait for them too.
          all.some((e) => e.type === 'CustomersSearched' && (e.data.filterKeys as string[]).join() === 'q,tags,mobile') &&
          all.filter((e) => e.streamId === `access-${granted}` && e.type === 'SensitiveFieldRevealed').length >= 2,
      );
      const ofA = events.filter((e) => e.streamId === `access-${staffA}`);
      expect(ofA.map((e) => e.streamVersion)).toEqual(ofA.map((_, i) => i + 1));
      expect(ofA.every((e) => e.actor.userId === staffA)).toBe(true);
      expect(ofA).toContainEqual(
        expect.objectContaining({
          type: 'CustomerViewed',
          data: {
            readerId: staffA,
            customerId: ids.a1,
            fieldsInClear: expect.arrayContaining(['id', 'name', 'mobile', 'email', 'version']),
            fieldsMasked: ['nationalId', 'address'],
          },
        }),
      );
      expect(ofA).toContainEqual(
        expect.objectContaining({
          type: 'CustomersListed',
          data: expect.objectContaining({ filterKeys: [], resultCount: 2, customerIds: listed.items.map((c) => c.id) }),
        }),
      );
      expect(ofA).toContainEqual(
        expect.objectContaining({
          type: 'CustomersSearched',
          data: expect.objectContaining({ filterKeys: ['q', 'tags', 'mobile'], resultCount: 0, customerIds: [] }),
        }),
      );
      expect(ofA).toContainEqual(
        expect.objectContaining({
          type: 'CustomersSearched',
          data: expect.objectContaining({ filterKeys: ['q'], customerIds: [ids.a1, ids.a3].sort() }),
        }),
      );
      const ofGranted = events.filter((e) => e.streamId === `access-${granted}`);
      expect(ofGranted.filter((e) => e.type === 'SensitiveFieldRevealed').map((e) => e.data)).toEqual([
        { readerId: granted, customerId: ids.g1, field: 'nationalId', reason: 'KYC renewal' },
        { readerId: granted, customerId: ids.g1, field: 'mobile', reason: 'KYC renewal' },
      ]);
      expect(ofGranted).toContainEqual(
        expect.objectContaining({
          type: 'CustomerViewed',
          data: expect.objectContaining({ customerId: ids.g1, fieldsInClear: expect.arrayContaining(['mobile', 'nationalId']) }),
        }),
      );
      // No value of a field or a filter: only ids, counts, field and filter names.
      const dump = raw.join('\n');
      for (const value of [...Object.values(PLANTED), '13977770142', qValue, 'Alpha Trading', 'Northwind Ltd']) {
        expect({ value, found: dump.includes(value) }).toEqual({ value, found: false });
      }
    });
  });
});
