import { randomUUID } from 'node:crypto';
import { expectEventually } from '@warden/testing';
import { launchReadSideApp, type ReadSideApp } from '../test/read-side-app';
import type { ImportProgress } from './customer-import.dto';

const ROWS = 2000;
const BAD = { 500: 'email', 1000: 'classification', 1500: 'row' } as const;

/**
 * `POST /v1/customers/import` over HTTP: a 2,000-row CSV with three bad rows, JSON lines, the
 * progress and error report endpoints, and who may see an import.
 */
describe('customer-records: bulk import (running app)', () => {
  const owner = randomUUID();
  const other = randomUUID();
  const auditor = randomUUID();
  const team = `team-import-${randomUUID()}`;
  let t: ReadSideApp;
  const tokens: Record<string, string> = {};

  const upload = (as: string, body: string, contentType: string) =>
    t.request(tokens[as], 'POST', '/v1/customers/import', body, { 'content-type': contentType });
  const finished = (as: string, importId: string): Promise<ImportProgress> =>
    expectEventually(
      async () => {
        const res = await t.request(tokens[as], 'GET', `/v1/customers/imports/${importId}`);
        expect(res.status).toBe(200);
        const progress = (await res.json()) as ImportProgress;
        if (progress.status === 'running') throw new Error(`still running: ${progress.rowsDone} done`);
        return progress;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );

  beforeAll(async () => {
    t = await launchReadSideApp('import', {
      [owner]: { roles: ['staff'], teamIds: [team] },
      [other]: { roles: ['staff'], teamIds: [team] },
      [auditor]: { roles: ['auditor'] },
    });
    for (const [name, userId] of Object.entries({ owner, other, auditor })) tokens[name] = await t.token(userId);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
  });

  it(`imports a ${ROWS}-row CSV with 3 bad rows: ${ROWS - 3} customers, the 3 errors named by row and field`, async () => {
    const marker = `imp${randomUUID().slice(0, 8)}`;
    const lines = ['name,company,tags,classification,ownerId,teamId,mobile,email,nationalId,address'];
    for (let row = 1; row <= ROWS; row += 1) {
      const mobile = `139${String(row).padStart(8, '0')}`;
      const email = row === 500 ? 'not-an-email' : `c${row}@example.org`;
      const classification = row === 1000 ? 'secret' : 'internal';
      const ownerId = row === 1500 ? other : '';
      lines.push(
        `"${marker} Customer ${row}, Ltd",Co ${row},vip;${marker},${classification},${ownerId},${team},${mobile},${email},,"${row} Main St, Springfield"`,
      );
    }
    const res = await upload('owner', `${lines.join('\n')}\n`, 'text/csv');
    expect(res.status).toBe(202);
    const { importId } = (await res.json()) as { importId: string };
    expect(importId).toEqual(expect.any(String));

    const progress = await finished('owner', importId);
    expect(progress).toMatchObject({ importId, status: 'completed', rowsTotal: ROWS, rowsDone: ROWS - 3, rowsFailed: 3 });
    expect(progress.errors.map((e) => [e.row, e.field])).toEqual(Object.entries(BAD).map(([row, field]) => [Number(row), field]));
    expect(progress.errors[2].message).toMatch(/may not register a customer with this owner/);
    for (const error of progress.errors) expect(error.message).not.toMatch(/not-an-email|secret|@example/);

    const [{ n, encrypted }] = await t.db.query(
      `SELECT count(*)::int AS n, count(mobile_ciphertext)::int AS encrypted FROM "${t.schema}".customers WHERE $1 = ANY(tags)`,
      [marker],
    );
    expect({ n, encrypted }).toEqual({ n: ROWS - 3, encrypted: ROWS - 3 });
    // Registered through the same path: owned by the importer, exact search by blind index works.
    const found = await t.request(tokens.owner, 'GET', `/v1/customers?mobile=${encodeURIComponent('+86 139 0000 0042')}`);
    expect(((await found.json()) as { items: Array<Record<string, unknown>> }).items).toEqual([
      expect.objectContaining({ name: `${marker} Customer 42, Ltd`, ownerId: owner, tags: ['vip', marker], email: 'c42@example.org' }),
    ]);

    const report = await t.request(tokens.owner, 'GET', `/v1/customers/imports/${importId}/errors.csv`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^text\/csv/);
    const csv = (await report.text()).trim().split('\n');
    expect(csv[0]).toBe('row,field,message');
    expect(csv.slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['500,email', '1000,classification', '1500,row']);
  });

  it('imports JSON lines, naming unparsable lines and unknown fields', async () => {
    const body = [
      JSON.stringify({ name: 'Json One', teamId: team }),
      '{not json',
      JSON.stringify({ name: 'Json Two', colour: 'red' }),
      '',
      JSON.stringify(['not', 'an', 'object']),
      JSON.stringify({ name: 'Json Three', mobile: '+86 137 0000 0001' }),
    ].join('\n');
    const res = await upload('owner', body, 'application/x-ndjson');
    expect(res.status).toBe(202);
    const progress = await finished('owner', ((await res.json()) as { importId: string }).importId);
    expect(progress).toMatchObject({ status: 'completed', rowsTotal: 5, rowsDone: 2, rowsFailed: 3 });
    expect(progress.errors).toEqual([
      { row: 2, field: 'row', message: 'is not valid JSON' },
      { row: 3, field: 'colour', message: 'unknown field' },
      { row: 4, field: 'row', message: 'is not a JSON object' },
    ]);
  });

  it('fails an import whose CSV header names unknown columns', async () => {
    const res = await upload('owner', 'name,password\nA,B\n', 'text/csv');
    expect(res.status).toBe(202);
    const progress = await finished('owner', ((await res.json()) as { importId: string }).importId);
    expect(progress).toMatchObject({ status: 'failed', rowsDone: 0 });
    expect(progress.errors).toEqual([{ row: 1, field: 'file', message: expect.stringMatching(/unknown column\(s\) password/) }]);
  });

  it('shows an import to its requester only, refuses other media types and callers who may not register', async () => {
    const res = await upload('owner', 'name\nOnly Mine\n', 'text/csv');
    const { importId } = (await res.json()) as { importId: string };
    await finished('owner', importId);
    expect((await t.request(tokens.other, 'GET', `/v1/customers/imports/${importId}`)).status).toBe(404);
    expect((await t.request(tokens.other, 'GET', `/v1/customers/imports/${importId}/errors.csv`)).status).toBe(404);
    expect((await t.request(tokens.owner, 'GET', '/v1/customers/imports/not-a-uuid')).status).toBe(400);

    const unsupported = await upload('owner', '{"name":"x"}', 'application/json');
    expect(unsupported.status).toBe(415);
    expect(((await unsupported.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await upload('auditor', 'name\nNope\n', 'text/csv')).status).toBe(403);
  });
});
