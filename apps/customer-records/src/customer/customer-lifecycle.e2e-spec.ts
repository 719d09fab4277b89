import { randomUUID } from 'node:crypto';
import { startWriteSide, type View, type WriteSide } from '../test/customer-write-harness';

/** Update with If-Match, archive, and what they leave in the event log (running app). */
describe('customer-records update and archive (running app)', () => {
  jest.setTimeout(120_000);
  const team = `team-${randomUUID()}`;
  const users = {
    owner: { userId: randomUUID(), roles: ['staff'], teamIds: [team] },
    colleague: { userId: randomUUID(), roles: ['staff'], teamIds: [team] },
    supervisor: { userId: randomUUID(), roles: ['supervisor'], teamIds: [team] },
  };
  let side: WriteSide;
  const patch = (as: string, id: string, body: unknown, ifMatch?: string) =>
    side.request(as, 'PATCH', `/v1/customers/${id}`, body, ifMatch === undefined ? {} : { 'if-match': ifMatch });

  beforeAll(async () => {
    side = await startWriteSide('lifecycle', users);
  });
  afterAll(async () => {
    await side?.stop();
  });

  describe('PATCH /v1/customers/:id', () => {
    let customer: View;
    beforeEach(async () => {
      customer = await side.register('owner', { name: 'Lin Wei', company: 'Harbour Trading', tags: ['vip'], teamId: team, mobile: '+86 138-0013-8000' });
    });

    it('changes only the fields that differ, answers the new view with ETag "2", and logs ciphertexts only', async () => {
      const res = await patch('owner', customer.id, { name: 'Lin Wei-Ming', mobile: '13900139000', tags: ['vip'], company: 'Harbour Trading' }, '"1"');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"2"');
      // A customer's data is never kept by a browser or proxy.
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ id: customer.id, name: 'Lin Wei-Ming', mobile: '13900139000', company: 'Harbour Trading', version: 2 });
      const [registered, updated] = await side.eventsOf(`customer-${customer.id}`);
      expect(updated.type).toBe('CustomerUpdated');
      expect(Object.keys(updated.data).sort()).toEqual(['customerId', 'sensitive']);
      expect(Object.keys(updated.data.sensitive as object).sort()).toEqual(['mobile', 'name']);
      const log = JSON.stringify([registered, updated]);
      for (const clear of ['Lin Wei', 'Harbour Trading', '13900139000', '13800138000']) expect(log).not.toContain(clear);
    });

    it('finds the customer by its new mobile through the recomputed blind index, not by the old one', async () => {
      expect((await patch('owner', customer.id, { mobile: '+86 139 0013 9111' }, '"1"')).status).toBe(200);
      const found = (await (await side.request('owner', 'GET', '/v1/customers?mobile=13900139111')).json()) as { items: View[] };
      expect(found.items.map((item) => item.id)).toContain(customer.id);
      const old = (await (await side.request('owner', 'GET', '/v1/customers?mobile=13800138000')).json()) as { items: View[] };
      expect(old.items.map((item) => item.id)).not.toContain(customer.id);
    });

    it('answers 428 without If-Match, 400 with a malformed one, 409 STREAM_VERSION_CONFLICT with a stale one', async () => {
      await side.expectError(await patch('owner', customer.id, { tags: ['a'] }), 428, 'PRECONDITION_REQUIRED', /If-Match/);
      await side.expectError(await patch('owner', customer.id, { tags: ['a'] }, 'yesterday'), 400, 'VALIDATION_FAILED', /if-match/);
      expect((await patch('owner', customer.id, { tags: ['a'] }, '"1"')).status).toBe(200);
      await side.expectError(await patch('owner', customer.id, { tags: ['b'] }, '"1"'), 409, 'STREAM_VERSION_CONFLICT');
    });

    it('lets exactly one of two concurrent updates with the same If-Match win; the other is a 409', async () => {
      const results = await Promise.all([
        patch('owner', customer.id, { tags: ['first'] }, '"1"'),
        patch('owner', customer.id, { tags: ['second'] }, '"1"'),
      ]);
      expect(results.map((res) => res.status).sort()).toEqual([200, 409]);
      const [row] = await side.db.query(`SELECT version FROM ${side.s}.customers WHERE id = $1`, [customer.id]);
      expect(row.version).toBe(2);
    });

    it('records nothing and keeps the version for an update that changes nothing', async () => {
      const res = await patch('owner', customer.id, { name: 'Lin Wei', tags: ['vip'], mobile: '+86 138-0013-8000' }, '"1"');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(await side.eventsOf(`customer-${customer.id}`)).toHaveLength(1);
    });

    it('refuses unknown fields and bad values with 400, naming them', async () => {
      await side.expectError(await patch('owner', customer.id, { nickname: 'x' }, '"1"'), 400, 'VALIDATION_FAILED', /nickname/);
      await side.expectError(await patch('owner', customer.id, { classification: 'secret' }, '"1"'), 400, 'VALIDATION_FAILED', /body\.classification/);
      await side.expectError(await patch('owner', customer.id, {}, '"1"'), 400, 'VALIDATION_FAILED', /at least one field/);
    });

    it('refuses giving the customer away (403), a supervisor without update rights (403), and hides it from another staff member (404)', async () => {
      await side.expectError(await patch('owner', customer.id, { ownerId: users.colleague.userId }, '"1"'), 403, 'FORBIDDEN');
      await side.expectError(await patch('supervisor', customer.id, { tags: ['x'] }, '"1"'), 403, 'FORBIDDEN');
      await side.expectError(await patch('colleague', customer.id, { tags: ['x'] }, '"1"'), 404, 'CUSTOMER_NOT_FOUND');
      expect(await side.eventsOf(`customer-${customer.id}`)).toHaveLength(1);
    });
  });

  describe('POST /v1/customers/:id/archive', () => {
    it('archives the customer (status archived, new ETag), then refuses a second archive and updates with 409', async () => {
      const customer = await side.register('owner', { name: 'Archie Ve', teamId: team });
      const res = await side.request('owner', 'POST', `/v1/customers/${customer.id}/archive`, { reason: 'left the market' });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"2"');
      expect(await res.json()).toMatchObject({ id: customer.id, status: 'archived', version: 2 });
      await side.expectError(await side.request('owner', 'POST', `/v1/customers/${customer.id}/archive`), 409, 'CUSTOMER_ARCHIVED');
      await side.expectError(await patch('owner', customer.id, { tags: ['x'] }, '"2"'), 409, 'CUSTOMER_ARCHIVED');
      const [row] = await side.db.query(`SELECT status FROM ${side.s}.customers WHERE id = $1`, [customer.id]);
      expect(row.status).toBe('archived');
    });

    it('refuses a caller outside the customer view (404) and one who may only read it (403)', async () => {
      const customer = await side.register('owner', { name: 'Hidden One', teamId: team });
      await side.expectError(await side.request('colleague', 'POST', `/v1/customers/${customer.id}/archive`), 404, 'CUSTOMER_NOT_FOUND');
      await side.expectError(await side.request('supervisor', 'POST', `/v1/customers/${customer.id}/archive`), 403, 'FORBIDDEN');
    });
  });

  it('registers name and company encrypted in the event (v3), in clear in the read model only', async () => {
    const customer = await side.register('owner', { name: 'Zhang Wei Planted', company: 'Planted Co 8841', teamId: team });
    const [registered] = await side.eventsOf(`customer-${customer.id}`);
    expect(JSON.stringify(registered)).not.toMatch(/Zhang Wei Planted|Planted Co 8841/);
    expect(registered.data.sensitive).toMatchObject({ name: { ciphertext: expect.stringMatching(/^v1\./) }, company: { ciphertext: expect.stringMatching(/^v1\./) } });
    const [row] = await side.db.query(`SELECT name, company FROM ${side.s}.customers WHERE id = $1`, [customer.id]);
    expect(row).toEqual({ name: 'Zhang Wei Planted', company: 'Planted Co 8841' });
  });
});
