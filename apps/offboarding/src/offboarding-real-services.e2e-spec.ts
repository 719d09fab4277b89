import { expectEventually } from '@warden/testing';
import { callApp, RealStack, type StackUser } from './test/real-stack';

/** The leaver's book, as the issue's proof asks: ten thousand customers (twenty transfer batches of 500). */
const CUSTOMERS = 10_000;
/** The customers of one company in the seed (`Company ${i % 97} Ltd`): a small export, under the approval threshold. */
const SMALL_EXPORT_COMPANY = 'Company 5 Ltd';
const SMALL_EXPORT_ROWS = Array.from({ length: CUSTOMERS }, (_, i) => i).filter((i) => i % 97 === 5).length;
const LEAVER_IP = '203.0.113.77';

type Step = { step: string; status: string; attempts: number; counts: Record<string, unknown> };
type Case = { id: string; status: string; tookEffectAt: string | null; steps: Step[]; exportsCancelled: number; report: { links: Record<string, string> } | null };
type Grant = { id: string };
type Export = { id: string; status: string; rowCount: number | null };
type Page = { items: Array<{ id: string; ownerId: string }>; nextCursor: string | null };
type Activity = {
  summary: {
    logins: { count: number; items: Array<{ ip: string | null }> };
    customersViewed: { views: number; distinctCustomers: number; top: Array<{ customerId: string; views: number }> };
    exports: { count: number; items: Array<{ exportId: string; rows: number | null; fields: string[]; approvalRequired: boolean }> };
  };
};
type Report = { summary: { logins: number; customersViewed: number; exports: number }; activity: Activity['summary'] };

/**
 * The whole offboarding against the REAL services (nothing stubbed): authorization (service token,
 * users, grants, departing, freeze), customer-records (bulk import, the `TransferCustomers`
 * consumer, token checks), exports (a completed export with a download link and a pending one, the
 * `CancelUserExports` consumer) and audit (indexing every topic, the activity endpoint) plus
 * offboarding, each launched as its own process on real Postgres, Redis and Kafka.
 */
describe('offboarding with the real authorization, customer-records, exports and audit apps', () => {
  let stack: RealStack;
  let team: string;
  let hrToken = '';

  const offboarding = <T>(path: string, init: { method?: string; body?: unknown } = {}) =>
    callApp<T>(stack.offboarding.url, path, { ...init, token: hrToken });
  const caseOf = async (id: string): Promise<Case> => (await offboarding<Case>(`/v1/offboardings/${id}`)).body;
  const userStatus = async (id: string): Promise<string> =>
    (await callApp<{ status: string }>(stack.authorization.url, `/v1/users/${id}`, { token: stack.adminToken })).body.status;
  const departingDate = async (id: string): Promise<Date | null> =>
    (await stack.query<{ at: Date | null }>(`SELECT departing_effective_at AS at FROM "${stack.schemas.authorization}".users WHERE id = $1`, [id]))[0].at;

  beforeAll(async () => {
    const launching = Date.now();
    stack = await RealStack.launch('e2e_offb_real');
    process.stdout.write(`offboarding e2e (real services): five apps launched in ${((Date.now() - launching) / 1000).toFixed(1)} s\n`);
    team = await stack.createTeam();
    const hr = await stack.createUser(['hr'], null);
    hrToken = await stack.login(hr, '198.51.100.20');
  }, 420_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describe('a leaver with 10,000 customers, an open session, a grant, a completed and a pending export', () => {
    let leaver: StackUser;
    let successor: StackUser;
    let leaverToken = '';
    let grantId = '';
    let pending: Export;
    let completed: Export;
    let linkUrl = '';
    let viewed: string[] = [];
    let id = '';
    let done: Case;
    let started = 0;
    const lap = (what: string) => process.stdout.write(`offboarding e2e (real services): ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    /** One route of each service, as the leaver: what it answered before and after the freeze. */
    const everyService = () => [
      { service: 'authorization', url: stack.authorization.url, path: '/v1/roles' },
      { service: 'customer-records', url: stack.customers.url, path: '/v1/customers?limit=1' },
      { service: 'exports', url: stack.exports.url, path: '/v1/exports' },
      { service: 'audit', url: stack.audit.url, path: `/v1/audit/users/${leaver.id}/activity?days=1` },
      { service: 'offboarding', url: stack.offboarding.url, path: '/v1/offboardings' },
    ];

    beforeAll(async () => {
      started = Date.now();
      [leaver, successor] = await Promise.all([stack.createUser(['staff'], team), stack.createUser(['staff'], team)]);
      // An open session (from a known address) and the customers the leaver registered, in one bulk import.
      leaverToken = await stack.login(leaver, LEAVER_IP);
      await stack.importCustomers(leaverToken, CUSTOMERS);
      lap(`${CUSTOMERS} customers imported`);
      const exportsUrl = stack.exports.url;
      const asLeaver = <T>(url: string, path: string, body?: unknown) => callApp<T>(url, path, { token: leaverToken, body });

      // Customers the leaver looked at (CustomerViewed, for the report).
      const page = await asLeaver<Page>(stack.customers.url, '/v1/customers?limit=3');
      viewed = page.body.items.map((c) => c.id);
      for (const customerId of viewed) expect((await asLeaver(stack.customers.url, `/v1/customers/${customerId}`)).status).toBe(200);
      // A communication note of the leaver's on one of them (it goes with the customer).
      expect((await asLeaver(stack.customers.url, `/v1/customers/${viewed[0]}/notes`, { body: 'promised a call back on Monday' })).status).toBe(201);
      // A grant of their own, pending approval.
      const grant = await asLeaver<Grant>(stack.authorization.url, '/v1/grants', {
        userId: leaver.id,
        permissions: [{ action: 'export', subject: 'Customer' }],
        reason: 'quarter close',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      });
      expect(grant.status).toBe(201);
      grantId = grant.body.id;
      // A small export, completed, with a download link not yet used.
      const small = await asLeaver<Export>(exportsUrl, '/v1/exports', {
        filter: { q: SMALL_EXPORT_COMPANY },
        fields: ['name', 'company'],
        format: 'csv',
        reason: 'client meeting',
      });
      expect(small.status).toBe(201);
      completed = await expectEventually(
        async () => {
          const e = await asLeaver<Export>(exportsUrl, `/v1/exports/${small.body.id}`);
          if (e.body.status !== 'completed') throw new Error(`export ${JSON.stringify(e.body)}`);
          return e.body;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      expect(completed.rowCount).toBe(SMALL_EXPORT_ROWS);
      const link = await asLeaver<{ url: string }>(exportsUrl, `/v1/exports/${completed.id}/download-link`, {});
      expect(link.status).toBe(201);
      linkUrl = link.body.url;
      // An export of all their customers: above the approval threshold (200 rows), so it waits for approval.
      const all = await asLeaver<Export>(exportsUrl, '/v1/exports', { fields: ['name', 'email'], format: 'csv', reason: 'quarter close' });
      expect(all.status).toBe(201);
      expect(all.body.status).toBe('pending_approval');
      pending = all.body;
      // Every service accepts the leaver's token (audit and offboarding refuse the staff role, 403, not the token):
      // a 401 afterwards is the freeze's doing.
      const before = await Promise.all(everyService().map(async ({ service, url, path }) => [service, (await callApp(url, path, { token: leaverToken })).status]));
      expect(Object.fromEntries(before)).toEqual({ authorization: 200, 'customer-records': 200, exports: 200, audit: 403, offboarding: 403 });
      // The report reads the trail: the audit has indexed the login, the views and both exports before the case starts.
      await expectEventually(
        async () => {
          const activity = await callApp<Activity>(stack.audit.url, `/v1/audit/users/${leaver.id}/activity?days=1`, { token: stack.adminToken });
          expect(activity.body.summary?.logins.count).toBeGreaterThanOrEqual(1);
          expect(activity.body.summary?.customersViewed.distinctCustomers).toBe(viewed.length);
          expect(activity.body.summary?.exports.count).toBe(2);
        },
        { timeoutMs: 180_000, intervalMs: 1000 },
      );
      lap('leaver set up and indexed by the audit');

      const request = await offboarding<{ id: string }>('/v1/offboardings', { body: { userId: leaver.id, successorId: successor.id, reason: 'resigned' } });
      expect(request.status).toBe(202);
      id = request.body.id;
      // The leaver's token is refused by customer-records from the moment the freeze lands.
      let refusedAt = 0;
      await expectEventually(
        async () => {
          const res = await callApp(stack.customers.url, '/v1/customers?limit=1', { token: leaverToken });
          if (res.status !== 401) throw new Error(`still accepted (${res.status})`);
          refusedAt = Date.now();
        },
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      done = await expectEventually(
        async () => {
          const c = await caseOf(id);
          if (c.status !== 'completed') throw new Error(`case is ${c.status}: ${JSON.stringify(c.steps)}`);
          return c;
        },
        { timeoutMs: 300_000, intervalMs: 500 },
      );
      lap(`case completed; freeze latency, took effect → token refused by customer-records: ${refusedAt - Date.parse(done.tookEffectAt ?? '')} ms`);
    }, 900_000);

    it('refuses the leaver’s token at every service and their login', async () => {
      for (const { service, url, path } of everyService()) {
        const res = await callApp<{ code: string }>(url, path, { token: leaverToken });
        expect({ service, status: res.status, code: res.body?.code }).toEqual({ service, status: 401, code: 'TOKEN_REVOKED' });
      }
      expect((await callApp(stack.authorization.url, '/v1/auth/login', { body: { username: leaver.username, password: leaver.password } })).status).toBe(401);
      expect(await userStatus(leaver.id)).toBe('offboarded');
      const steps = Object.fromEntries(done.steps.map((s) => [s.step, s]));
      expect(steps.freeze.counts).toMatchObject({ sessionsRevoked: 1, grantsRevoked: 1 });
    });

    it('revokes the grant', async () => {
      const stored = await stack.query<{ status: string }>(`SELECT status FROM "${stack.schemas.authorization}".grants WHERE id = $1`, [grantId]);
      expect(stored).toEqual([{ status: 'revoked' }]);
    });

    it('cancels both exports and voids the download link', async () => {
      const exportsUrl = stack.exports.url;
      await expectEventually(
        async () => {
          const stored = await stack.query<{ export_id: string; status: string }>(
            `SELECT export_id, status FROM "${stack.schemas.exports}".exports WHERE export_id = ANY($1::uuid[]) ORDER BY export_id`,
            [[pending.id, completed.id]],
          );
          expect(stored).toEqual([completed.id, pending.id].sort().map((exportId) => ({ export_id: exportId, status: 'cancelled' })));
          expect((await caseOf(id)).exportsCancelled).toBe(2);
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const links = await stack.query<{ revoked: boolean; used: boolean }>(
        `SELECT revoked_at IS NOT NULL AS revoked, used_at IS NOT NULL AS used FROM "${stack.schemas.exports}".download_links WHERE export_id = $1`,
        [completed.id],
      );
      expect(links).toEqual([{ revoked: true, used: false }]);
      const download = await callApp(exportsUrl, linkUrl, { token: leaverToken });
      expect(download.status).toBe(401);
    });

    it('hands all 10,000 customers to the successor, as the successor’s own view shows', async () => {
      const steps = Object.fromEntries(done.steps.map((s) => [s.step, s]));
      expect(steps.handover.counts).toMatchObject({ customersTransferred: CUSTOMERS, successorId: successor.id });
      const successorToken = await stack.login(successor, '198.51.100.21');
      const pageAfter = (cursor: string | null) =>
        callApp<Page>(stack.customers.url, `/v1/customers?ownerId=${successor.id}&limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: successorToken });
      const seen = new Set<string>();
      let cursor: string | null = null;
      do {
        const res = await pageAfter(cursor);
        expect(res.status).toBe(200);
        for (const c of res.body.items) {
          expect(c.ownerId).toBe(successor.id);
          seen.add(c.id);
        }
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen.size).toBe(CUSTOMERS);
      expect(await stack.customersOwnedBy(leaver.id)).toBe(0);
      expect(await stack.customersOwnedBy(successor.id)).toBe(CUSTOMERS);
      // The leaver's notes went with their customer: the successor reads them.
      const notes = await callApp<{ items: Array<{ authorId: string; body?: string }> }>(stack.customers.url, `/v1/customers/${viewed[0]}/notes`, {
        token: successorToken,
      });
      expect(notes.status).toBe(200);
      expect(notes.body.items).toEqual([expect.objectContaining({ authorId: leaver.id, body: 'promised a call back on Monday' })]);
    });

    it('reports the leaver’s real logins, views and exports from the audit trail', async () => {
      const report = await offboarding<Report>(`/v1/offboardings/${id}/report?format=json`);
      expect(report.status).toBe(200);
      const { summary, activity } = report.body;
      expect(summary.logins).toBeGreaterThanOrEqual(1);
      expect(activity.logins.items).toEqual(expect.arrayContaining([expect.objectContaining({ ip: LEAVER_IP })]));
      expect(summary.customersViewed).toBe(viewed.length);
      expect(activity.customersViewed.top.map((t) => t.customerId).sort()).toEqual([...viewed].sort());
      expect(summary.exports).toBe(2);
      expect(activity.exports.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ exportId: completed.id, rows: SMALL_EXPORT_ROWS, fields: expect.arrayContaining(['name', 'company']) }),
          expect.objectContaining({ exportId: pending.id, approvalRequired: true }),
        ]),
      );
      const html = await callApp<string>(stack.offboarding.url, `/v1/offboardings/${id}/report?format=html`, { token: hrToken });
      expect(html.body).toContain(LEAVER_IP);
      expect(html.body).toContain(completed.id);
    });
  });

  describe('a case cancelled before its date', () => {
    it('marks the user departing at the authorization service, and the cancel makes them active again', async () => {
      const stays = await stack.createUser(['staff'], team);
      const successor = await stack.createUser(['staff'], team);
      const effectiveAt = new Date(Date.now() + 3600_000).toISOString();
      const request = await offboarding<{ id: string }>('/v1/offboardings', {
        body: { userId: stays.id, successorId: successor.id, effectiveAt, reason: 'resigned' },
      });
      expect(request.status).toBe(202);
      await expectEventually(async () => expect(await userStatus(stays.id)).toBe('departing'), { timeoutMs: 30_000, intervalMs: 250 });
      expect((await departingDate(stays.id))?.toISOString()).toBe(effectiveAt);

      const cancelled = await offboarding<Case>(`/v1/offboardings/${request.body.id}/cancel`, { body: { reason: 'stays after all' } });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(await userStatus(stays.id)).toBe('active');
      expect(await departingDate(stays.id)).toBeNull();
      const events = await stack.query<{ type: string; actor: string }>(
        `SELECT type, actor->>'userId' AS actor FROM "${stack.schemas.authorization}".events
         WHERE data->>'userId' = $1 AND type IN ('UserMarkedDeparting', 'UserDepartureCancelled') ORDER BY global_position`,
        [stays.id],
      );
      expect(events).toEqual([
        { type: 'UserMarkedDeparting', actor: 'system:offboarding' },
        { type: 'UserDepartureCancelled', actor: 'system:offboarding' },
      ]);
      // They still work: a login succeeds.
      await stack.login(stays, '198.51.100.30');
    });
  });

  describe('the identity provider', () => {
    it('starts a case from a SCIM PATCH active=false at the authorization service, hands the book to the manager and completes', async () => {
      const books = 50;
      const manager = await stack.createUser(['staff'], team);
      const leaver = await stack.createUser(['staff'], team);
      const managed = await callApp(stack.authorization.url, `/v1/users/${leaver.id}`, { method: 'PATCH', token: stack.adminToken, body: { managerId: manager.id } });
      expect(managed.status).toBe(200);
      const leaverToken = await stack.login(leaver, '198.51.100.40');
      await stack.importCustomers(leaverToken, books);
      const issued = await callApp<{ token: string }>(stack.authorization.url, '/v1/scim/tokens', { token: stack.adminToken, body: { name: 'entra' } });
      expect(issued.status).toBe(201);

      const patched = await callApp<{ active: boolean }>(stack.authorization.url, `/scim/v2/Users/${leaver.id}`, {
        method: 'PATCH',
        token: issued.body.token,
        contentType: 'application/scim+json',
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: false }] }),
      });
      expect(patched.status).toBe(200);
      expect(patched.body.active).toBe(false);

      const found = await expectEventually(
        async () => {
          const page = await offboarding<{ items: Array<{ id: string; source: string }> }>(`/v1/offboardings?userId=${leaver.id}`);
          expect(page.body.items).toHaveLength(1);
          return page.body.items[0];
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(found.source).toBe('scim');
      const done = await expectEventually(
        async () => {
          const c = await caseOf(found.id);
          if (c.status !== 'completed') throw new Error(`case is ${c.status}: ${JSON.stringify(c.steps)}`);
          return c;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const handover = done.steps.find((s) => s.step === 'handover');
      expect(handover?.counts).toMatchObject({ customersTransferred: books, successorId: manager.id });
      expect(await stack.customersOwnedBy(manager.id)).toBe(books);
      expect(await stack.customersOwnedBy(leaver.id)).toBe(0);
      expect(await userStatus(leaver.id)).toBe('offboarded');
      expect((await callApp(stack.customers.url, '/v1/customers?limit=1', { token: leaverToken })).status).toBe(401);
    });
  });
});
