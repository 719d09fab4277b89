import { randomUUID } from 'node:crypto';
import { expectEventually } from '@warden/testing';
import { startWriteSide, type View, type WriteSide } from '../test/customer-write-harness';

/** Notes, transactions, consents, subject access and ownership transfers over HTTP (running app). */
describe('customer-records notes, transactions, consents, subject access and transfers (running app)', () => {
  jest.setTimeout(180_000);
  const team = `team-${randomUUID()}`;
  const users = {
    owner: { userId: randomUUID(), roles: ['staff'], teamIds: [team], grants: [{ action: 'delete' as const, subject: 'Customer' as const, conditions: { owner: 'me' as const } }] },
    colleague: { userId: randomUUID(), roles: ['staff'], teamIds: [team] },
    supervisor: { userId: randomUUID(), roles: ['supervisor'], teamIds: [team] },
    auditor: { userId: randomUUID(), roles: ['auditor'] },
    officer: { userId: randomUUID(), roles: ['security_officer'] },
    hr: { userId: randomUUID(), roles: ['hr'] },
  };
  let side: WriteSide;
  let customer: View;
  const path = (suffix: string) => `/v1/customers/${customer.id}/${suffix}`;

  beforeAll(async () => {
    side = await startWriteSide('activity', users);
    customer = await side.register('owner', {
      name: 'Chen Jing', company: 'Silk Road Imports', teamId: team, mobile: '13812345678', email: 'chen.jing@example.com', nationalId: '110101199003074477', address: '北京市朝阳区建国路88号',
    });
  });
  afterAll(async () => {
    await side?.stop();
  });

  describe('notes', () => {
    const text = 'Called about the renewal; prefers WeChat after 6pm';

    it('adds a note (201, body in clear for its author) whose event carries the ciphertext only', async () => {
      const res = await side.request('owner', 'POST', path('notes'), { body: text });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ customerId: customer.id, authorId: users.owner.userId, body: text });
      const events = await side.eventsOf(`customer-${customer.id}`);
      const added = events.find((event) => event.type === 'CustomerNoteAdded');
      expect(added?.data).toMatchObject({ body: { ciphertext: expect.stringMatching(/^v1\./) } });
      expect(JSON.stringify(events)).not.toContain('renewal');
    });

    it('lists notes with the body at the reader level: clear for the owner, masked for the supervisor, omitted for the auditor', async () => {
      const bodyOf = async (as: string) => ((await (await side.request(as, 'GET', path('notes'))).json()) as { items: Array<{ body?: string }> }).items[0];
      expect((await bodyOf('owner')).body).toBe(text);
      expect((await bodyOf('supervisor')).body).toBe('C***');
      const audited = await bodyOf('auditor');
      expect(audited).toMatchObject({ authorId: users.owner.userId });
      expect(audited).not.toHaveProperty('body');
    });

    it('answers 404 outside the view, 403 to a reader who may not update, 400 for an empty body', async () => {
      await side.expectError(await side.request('colleague', 'GET', path('notes')), 404, 'CUSTOMER_NOT_FOUND');
      await side.expectError(await side.request('colleague', 'POST', path('notes'), { body: 'x' }), 404, 'CUSTOMER_NOT_FOUND');
      await side.expectError(await side.request('supervisor', 'POST', path('notes'), { body: 'x' }), 403, 'FORBIDDEN');
      await side.expectError(await side.request('owner', 'POST', path('notes'), { body: '  ' }), 400, 'VALIDATION_FAILED', /body\.body/);
    });
  });

  describe('transactions', () => {
    it('records a transaction with an exact decimal amount and lists it', async () => {
      const res = await side.request('owner', 'POST', path('transactions'), { amount: '1999.9900', currency: 'CNY', date: '2025-05-20', product: 'Wealth plan A' });
      expect(res.status).toBe(201);
      const page = (await (await side.request('owner', 'GET', path('transactions'))).json()) as { items: Array<Record<string, unknown>> };
      expect(page.items).toEqual([expect.objectContaining({ amount: '1999.9900', currency: 'CNY', date: '2025-05-20', product: 'Wealth plan A', recordedBy: users.owner.userId })]);
    });

    it('refuses an unknown currency, a numeric amount and a bad date, naming each field', async () => {
      const bad = { amount: 10, currency: 'XYZ', date: '2025-02-30', product: 'p' };
      const res = await side.request('owner', 'POST', path('transactions'), bad);
      expect(res.status).toBe(400);
      const { message } = (await res.json()) as { message: string };
      for (const field of ['body.amount', 'body.currency', 'body.date']) expect(message).toContain(field);
    });

    it('refuses the transactions to an auditor (ids and names only): 403', async () => {
      await side.expectError(await side.request('auditor', 'GET', path('transactions')), 403, 'FORBIDDEN');
    });
  });

  describe('consents', () => {
    it('grants, withdraws and keeps the history with who and when; withdrawing twice is CONSENT_NOT_GRANTED', async () => {
      const grant = await side.request('owner', 'POST', path('consents'), { purpose: 'marketing.sms', templateVersion: '2025-01', granted: true });
      expect(grant.status).toBe(201);
      expect(await grant.json()).toMatchObject({ current: [{ purpose: 'marketing.sms', granted: true, templateVersion: '2025-01' }] });
      expect((await side.request('owner', 'POST', path('consents'), { purpose: 'marketing.sms', templateVersion: '2025-01', granted: false })).status).toBe(201);
      const view = (await (await side.request('supervisor', 'GET', path('consents'))).json()) as { current: unknown[]; history: unknown[] };
      expect(view.current).toEqual([expect.objectContaining({ purpose: 'marketing.sms', granted: false })]);
      expect(view.history).toEqual([
        expect.objectContaining({ granted: true, recordedBy: users.owner.userId, recordedAt: expect.any(String) }),
        expect.objectContaining({ granted: false, recordedBy: users.owner.userId }),
      ]);
      await side.expectError(
        await side.request('owner', 'POST', path('consents'), { purpose: 'marketing.sms', templateVersion: '2025-01', granted: false }),
        409,
        'CONSENT_NOT_GRANTED',
      );
      await side.expectError(await side.request('owner', 'POST', path('consents'), { purpose: 'Bad Purpose!', templateVersion: '1', granted: true }), 400, 'VALIDATION_FAILED', /body\.purpose/);
    });
  });

  describe('subject access', () => {
    it('gives a security officer everything held, in clear, and records SubjectAccessProvided on their access stream', async () => {
      const res = await side.request('officer', 'GET', path('subject-access'));
      expect(res.status).toBe(200);
      const report = (await res.json()) as Record<string, unknown> & { events: Array<{ type: string; actorId: string }> };
      expect(report).toMatchObject({
        customer: { id: customer.id, name: 'Chen Jing', company: 'Silk Road Imports', mobile: '13812345678', email: 'chen.jing@example.com', nationalId: '110101199003074477', address: '北京市朝阳区建国路88号', sharedWith: [] },
        notes: [expect.objectContaining({ body: expect.stringContaining('renewal') })],
        transactions: [expect.objectContaining({ amount: '1999.9900' })],
        consents: { current: [expect.objectContaining({ purpose: 'marketing.sms' })] },
      });
      expect(report.events.map((event) => event.type)).toEqual(
        expect.arrayContaining(['CustomerRegistered', 'CustomerNoteAdded', 'CustomerTransactionRecorded', 'ConsentGranted', 'ConsentWithdrawn']),
      );
      expect(report.events[0].actorId).toBe(users.owner.userId);
      const audit = await side.eventsOf(`access-${users.officer.userId}`);
      expect(audit).toEqual([expect.objectContaining({ type: 'SubjectAccessProvided', data: { readerId: users.officer.userId, customerId: customer.id } })]);
    });

    it('is refused to other roles (403) and answers 410 after erasure', async () => {
      await side.expectError(await side.request('owner', 'GET', path('subject-access')), 403, 'FORBIDDEN');
      const gone = await side.register('owner', { name: 'To Be Erased', teamId: team });
      expect((await side.request('owner', 'DELETE', `/v1/customers/${gone.id}`, { legalBasis: 'subject-request', reason: 'DSR-9' })).status).toBe(204);
      await side.expectError(await side.request('officer', 'GET', `/v1/customers/${gone.id}/subject-access`), 410, 'CUSTOMER_ERASED');
    });
  });

  describe('ownership transfers', () => {
    it('lets HR issue a transfer that moves every customer of the user, visible as completed', async () => {
      const leaver = users.colleague.userId;
      const own = [await side.register('colleague', { name: 'Leaver One', teamId: team }), await side.register('colleague', { name: 'Leaver Two', teamId: team })];
      const res = await side.request('hr', 'POST', '/v1/customers/transfers', { fromUserId: leaver, toUserId: users.owner.userId, reason: 'offboarding:case-1' });
      expect(res.status).toBe(202);
      const { transferId } = (await res.json()) as { transferId: string };
      await expectEventually(
        async () => {
          const status = await side.request('hr', 'GET', `/v1/customers/transfers/${transferId}`);
          expect(status.status).toBe(200);
          expect(await status.json()).toMatchObject({ transferId, status: 'completed', done: 2, total: 2, fromUserId: leaver });
        },
        { timeoutMs: 60_000, intervalMs: 300 },
      );
      const owners = await side.db.query(`SELECT owner_id FROM ${side.s}.customers WHERE id = ANY($1)`, [own.map((c) => c.id)]);
      expect(owners).toEqual([{ owner_id: users.owner.userId }, { owner_id: users.owner.userId }]);
    });

    it('refuses staff (403), a body without a target (400) and an unknown transfer (404)', async () => {
      await side.expectError(await side.request('owner', 'POST', '/v1/customers/transfers', { fromUserId: 'a', toUserId: 'b', reason: 'r' }), 403, 'FORBIDDEN');
      await side.expectError(await side.request('hr', 'POST', '/v1/customers/transfers', { fromUserId: 'a', reason: 'r' }), 400, 'VALIDATION_FAILED', /toUserId/);
      await side.expectError(await side.request('hr', 'GET', `/v1/customers/transfers/${randomUUID()}`), 404, 'NOT_FOUND');
    });
  });
});
