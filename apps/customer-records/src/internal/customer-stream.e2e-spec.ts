import { randomUUID } from 'node:crypto';
import { expectEventually } from '@warden/testing';
import { launchReadSideApp, type ReadSideApp } from '../test/read-side-app';

type Line = Record<string, unknown> & { id: string; version: number };

const SEEDED = 10_000;
const PLANTED = { mobile: '+86 138-0013-8000', email: 'stream.owner@example.org', nationalId: '110101198001018888', address: '9 Long Road, Springfield, IL 62701' };

/**
 * `POST /internal/v1/customers/stream` and `/count` for the exports service, over HTTP with
 * system tokens: rows and levels of the user the export is for, JSON lines, abort, audit.
 */
describe('customer-records: the customer stream for exports (running app)', () => {
  const owner = randomUUID();
  const supervisor = randomUUID();
  const auditor = randomUUID();
  const team = `team-stream-${randomUUID()}`;
  let t: ReadSideApp;
  let system: string;
  let registeredId: string;

  const post = (token: string, path: string, body: unknown) => t.request(token, 'POST', `/internal/v1/customers/${path}`, body);
  const lines = async (res: Response): Promise<Line[]> =>
    (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
  const streamed = async (purposeId: string): Promise<Array<Record<string, unknown>>> =>
    (
      await t.db.query(`SELECT data FROM "${t.schema}".events WHERE type = 'CustomersStreamed' AND data->>'purposeId' = $1`, [
        purposeId,
      ])
    ).map((row: { data: Record<string, unknown> }) => row.data);
  /** The `CustomerRowsStreamed` events of a stream, in stream order. */
  const named = async (purposeId: string): Promise<Array<{ offset: number; customerIds: string[] } & Record<string, unknown>>> =>
    (
      await t.db.query(
        `SELECT data FROM "${t.schema}".events WHERE type = 'CustomerRowsStreamed' AND data->>'purposeId' = $1 ORDER BY (data->>'offset')::int`,
        [purposeId],
      )
    ).map((row: { data: { offset: number; customerIds: string[] } & Record<string, unknown> }) => row.data);

  beforeAll(async () => {
    t = await launchReadSideApp('stream', {
      [owner]: { roles: ['staff'], teamIds: [team] },
      [supervisor]: { roles: ['supervisor'], teamIds: [team] },
      [auditor]: { roles: ['auditor'] },
    });
    system = await t.token('system:exports', ['system']);
    const res = await t.request(await t.token(owner), 'POST', '/v1/customers', { name: 'Registered Streamer', teamId: team, ...PLANTED });
    expect(res.status).toBe(201);
    registeredId = ((await res.json()) as Line).id;
    // The bulk of the rows goes straight into the read model (the stream reads only the read
    // model); they have no sensitive fields, so nothing needs their data keys.
    await t.db.query(
      `INSERT INTO "${t.schema}".customers (id, name, company, tags, classification, owner_id, team_id, status, version, created_at, updated_at)
       SELECT gen_random_uuid(), 'Seeded ' || g, 'Seed Co', ARRAY['seed'], 'internal', $1, $2, 'active', 1, now(), now()
       FROM generate_series(1, ${SEEDED}) AS g`,
      [owner, team],
    );
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
  });

  it(`streams all ${SEEDED + 1} rows as JSON lines in id order, fields at the owner's levels, records CustomersStreamed and names every customer in CustomerRowsStreamed`, async () => {
    const purposeId = `export-${randomUUID()}`;
    const res = await post(system, 'stream', {
      onBehalfOf: owner,
      purposeId,
      filter: {},
      fields: ['name', 'mobile', 'email', 'nationalId'],
      clearFields: ['mobile'],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const rows = await lines(res);
    expect(rows).toHaveLength(SEEDED + 1);
    const ids = rows.map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(Object.keys(rows[0]).slice(0, 2)).toEqual(['id', 'version']);
    expect(rows.find((row) => row.id === registeredId)).toEqual({
      id: registeredId,
      version: 1,
      name: 'Registered Streamer',
      mobile: PLANTED.mobile,
      email: 's***@example.org',
      nationalId: '110101********8888',
    });
    expect(await streamed(purposeId)).toEqual([
      {
        readerId: 'system:exports',
        onBehalfOf: owner,
        purposeId,
        filterKeys: [],
        resultCount: SEEDED + 1,
        fieldsInClear: ['mobile'],
      },
    ]);
    // Every streamed customer named, in stream order, 1000 per event, on the caller's access stream.
    const chunks = await named(purposeId);
    expect(chunks).toHaveLength(Math.ceil((SEEDED + 1) / 1000));
    expect(chunks.map((c) => c.offset)).toEqual(chunks.map((_, i) => i * 1000));
    expect(chunks.flatMap((c) => c.customerIds)).toEqual(ids);
    expect(chunks[0]).toEqual({ readerId: 'system:exports', onBehalfOf: owner, purposeId, offset: 0, customerIds: ids.slice(0, 1000), fieldsInClear: ['mobile'] });
    const streams: Array<{ stream_id: string }> = await t.db.query(
      `SELECT DISTINCT stream_id FROM "${t.schema}".events WHERE type = 'CustomerRowsStreamed' AND data->>'purposeId' = $1`,
      [purposeId],
    );
    expect(streams).toEqual([{ stream_id: 'access-system:exports' }]);
  });

  it('names exactly the customers of a filtered stream', async () => {
    const purposeId = `export-${randomUUID()}`;
    const rows = await lines(await post(system, 'stream', { onBehalfOf: owner, purposeId, filter: { q: 'registered' }, fields: ['name'] }));
    expect(rows.map((row) => row.id)).toEqual([registeredId]);
    expect(await named(purposeId)).toEqual([
      { readerId: 'system:exports', onBehalfOf: owner, purposeId, offset: 0, customerIds: [registeredId], fieldsInClear: [] },
    ]);
  });

  it('counts what the same body would stream, with the filter', async () => {
    const body = { onBehalfOf: owner, purposeId: 'estimate', fields: ['name'] };
    expect(await (await post(system, 'count', body)).json()).toEqual({ count: SEEDED + 1 });
    expect(await (await post(system, 'count', { ...body, filter: { q: 'registered' } })).json()).toEqual({ count: 1 });
    expect(await (await post(system, 'count', { ...body, onBehalfOf: auditor })).json()).toEqual({ count: SEEDED + 1 });
    expect(await (await post(system, 'count', { ...body, onBehalfOf: randomUUID() })).json()).toMatchObject({ statusCode: 503 });
  });

  it("masks every sensitive field at the supervisor's level and omits the auditor's none fields", async () => {
    const body = { purposeId: 'levels', filter: { mobile: '13800138000' }, fields: ['name', 'mobile', 'nationalId', 'address'] };
    const bySupervisor = await lines(await post(system, 'stream', { ...body, onBehalfOf: supervisor }));
    expect(bySupervisor).toEqual([
      {
        id: registeredId,
        version: 1,
        name: 'Registered Streamer',
        mobile: '138****8000',
        nationalId: '110101********8888',
        address: 'Springfield',
      },
    ]);
    const byAuditor = await lines(await post(system, 'stream', { ...body, onBehalfOf: auditor }));
    expect(byAuditor).toEqual([{ id: registeredId, version: 1, name: 'Registered Streamer' }]);
  });

  it('refuses clearFields without the clear level with 403 naming them, before streaming anything', async () => {
    const purposeId = `refused-${randomUUID()}`;
    for (const path of ['stream', 'count']) {
      const res = await post(system, path, {
        onBehalfOf: supervisor,
        purposeId,
        fields: ['name', 'mobile', 'nationalId'],
        clearFields: ['mobile', 'nationalId'],
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/mobile, nationalId in clear/);
    }
    expect(await streamed(purposeId)).toEqual([]);
    expect(await named(purposeId)).toEqual([]);
  });

  it('refuses every caller but system:exports with the system role', async () => {
    const body = { onBehalfOf: owner, purposeId: 'x', fields: ['name'] };
    const callers = [
      await t.token(owner),
      await t.token(owner, ['system']),
      await t.token('system:audit', ['system']),
      await t.token('system:exports', ['staff']),
    ];
    for (const token of callers) {
      for (const path of ['stream', 'count']) expect((await post(token, path, body)).status).toBe(403);
    }
    const anonymous = await fetch(`${t.app.url}/internal/v1/customers/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a bad body with 400 naming the field', async () => {
    const base = { onBehalfOf: owner, purposeId: 'x', fields: ['name'] };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, fields: ['password'] }, /body\.fields\.0/],
      [{ ...base, fields: [] }, /body\.fields/],
      [{ ...base, clearFields: ['mobile'] }, /body\.clearFields: mobile not in fields/],
      [{ ...base, filter: { colour: 'red' } }, /body\.filter: unknown field\(s\) colour/],
      [{ ...base, filter: { classification: 'secret' } }, /body\.filter\.classification/],
      [{ ...base, onBehalfOf: 'system:exports' }, /body\.onBehalfOf/],
      [{ ...base, purposeId: undefined }, /body\.purposeId/],
    ];
    for (const [body, message] of cases) {
      const res = await post(system, 'stream', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
  });

  it('stops when the client goes away and records the rows sent so far', async () => {
    const purposeId = `aborted-${randomUUID()}`;
    const controller = new AbortController();
    const res = await fetch(`${t.app.url}/internal/v1/customers/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system}`, 'content-type': 'application/json' },
      body: JSON.stringify({ onBehalfOf: owner, purposeId, fields: ['name', 'company', 'tags', 'classification'] }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const [event] = await expectEventually(
      async () => {
        const events = await streamed(purposeId);
        if (events.length === 0) throw new Error('no CustomersStreamed yet');
        return events;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(event.resultCount as number).toBeGreaterThan(0);
    expect(event.resultCount as number).toBeLessThan(SEEDED + 1);
    // The customers named are exactly as many as the rows sent, each once.
    const ids = (await named(purposeId)).flatMap((c) => c.customerIds);
    expect(ids).toHaveLength(event.resultCount as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await fetch(`${t.app.url}/health/ready`)).status).toBe(200);
  });

  it('streams list fields and the other plain fields as the read model holds them', async () => {
    const id = randomUUID();
    const tags = ['a,b', 'say "hi"', '{x}', '张三', 'NULL', '', 'back\\slash'];
    await t.db.query(
      `INSERT INTO "${t.schema}".customers (id, name, company, tags, classification, owner_id, team_id, shared_with, status, version, created_at, updated_at)
       VALUES ($1, 'Tagged Streamer', NULL, $2, 'internal', $3, $4, ARRAY[$5]::text[], 'active', 4, '2030-01-02T03:04:05.678Z', now())`,
      [id, tags, owner, team, supervisor],
    );
    try {
      const rows = await lines(
        await post(system, 'stream', { onBehalfOf: owner, purposeId: `export-${randomUUID()}`, filter: { q: 'tagged streamer' }, fields: ['name', 'company', 'tags', 'classification', 'ownerId', 'createdAt'] }),
      );
      expect(rows).toEqual([
        { id, version: 4, name: 'Tagged Streamer', company: null, tags, classification: 'internal', ownerId: owner, createdAt: '2030-01-02T03:04:05.678Z' },
      ]);
    } finally {
      await t.db.query(`DELETE FROM "${t.schema}".customers WHERE id = $1`, [id]);
    }
  });
});
