import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics, type CommandEnvelope, type EventEnvelope } from '@warden/contracts';
import {
  createTopics,
  expectEventually,
  freePort,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  testProducer,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import { parse } from 'csv-parse/sync';
import type { Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import { AuthorizationStub, type StubUser } from './test/authorization-stub';
import { envelopeOf, publish } from './test/authorization-events';

type View = Record<string, unknown> & { id: string; status: string; approvalReasons: string[] };

/**
 * The exports service end to end: the running exports app against the running customer-records
 * app (real Postgres, Redis, Kafka), with a stand-in authorization service for abilities and the
 * service token, and its directory fed over Kafka.
 */
describe('exports (running app with customer-records)', () => {
  const env = testEnv();
  const prefix = uniqueTopicPrefix('e2e-exports');
  const north = randomUUID();
  const staff = randomUUID();
  const colleague = randomUUID();
  const supervisor = randomUUID();
  const officer = randomUUID();
  const leaver = randomUUID();
  const supervisorSession = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const users = new Map<string, StubUser>([
    [staff, { roles: ['staff'], teamIds: [north] }],
    [colleague, { roles: ['staff'], teamIds: [north] }],
    [supervisor, { roles: ['supervisor'], teamIds: [north] }],
    [officer, { roles: ['security_officer'] }],
    [leaver, { roles: ['staff'], teamIds: [north] }],
  ]);
  const tokens: Record<string, string> = {};
  let issuer: TestTokenIssuer;
  let auth: AuthorizationStub;
  let customers: LaunchedApp;
  let app: LaunchedApp;
  let dir: string;
  let producer: Producer;
  const kafka = testKafka('e2e-exports');

  const call = (as: string, method: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[as]}`, 'content-type': 'application/json', 'user-agent': 'e2e-agent', 'x-device-id': 'device-1' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const json = async <T>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect({ status: res.status, text }).toEqual({ status, text: expect.any(String) });
    return JSON.parse(text) as T;
  };
  const requestExport = async (as: string, body: Record<string, unknown>): Promise<View> =>
    json<View>(await call(as, 'POST', '/v1/exports', body), 201);
  const statusOf = async (as: string, id: string): Promise<View> => json<View>(await call(as, 'GET', `/v1/exports/${id}`), 200);
  // Well inside the worker's one-minute poll: an export that waited for the poll would fail here.
  const waitFor = (as: string, id: string, status: string) =>
    expectEventually(async () => expect((await statusOf(as, id)).status).toBe(status), { timeoutMs: 30_000, intervalMs: 250 });
  const download = async (as: string, id: string): Promise<{ token: string; text: string }> => {
    const link = await json<{ token: string }>(await call(as, 'POST', `/v1/exports/${id}/download-link`), 201);
    const res = await call(as, 'GET', `/v1/exports/${id}/download?token=${link.token}`);
    expect(res.status).toBe(200);
    return { token: link.token, text: await res.text() };
  };

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    auth = await AuthorizationStub.start(issuer, users, { exports: clientSecret });
    for (const [userId, user] of users) {
      tokens[userId] = await issuer.issue({ userId, roles: user.roles, teamId: north, sessionId: userId === supervisor ? supervisorSession : undefined });
    }
    producer = testProducer(kafka);
    await producer.connect();
    const authTopic = `${prefix}${Topics.events('authorization')}`;
    await createTopics(kafka, [authTopic, `${prefix}${Topics.alerts}`, `${prefix}${Topics.commands('exports')}`]);
    await publish(producer, authTopic, [
      envelopeOf('TeamCreated', `team-${north}`, { teamId: north, name: 'North', parentId: null, supervisorId: supervisor }),
      envelopeOf('UserCreated', `user-${leaver}`, {
        userId: leaver, username: 'leaver', displayName: 'Leaver', email: 'l***@example.org', roles: ['staff'],
        teamId: north, managerId: supervisor, clearance: 'restricted', status: 'active',
      }),
      envelopeOf('UserStatusChanged', `user-${leaver}`, { userId: leaver, from: 'active', to: 'departing', reason: 'notice given' }),
    ]);
    const [crPort, exportsPort] = [await freePort(), await freePort()];
    const keks = `1:${randomBytes(32).toString('base64')}`;
    const common = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTHORIZATION_URL: auth.url,
      WARDEN_KEKS: keks,
    };
    customers = await launchApp('customer-records', {
      port: crPort,
      env: {
        ...common,
        CUSTOMER_RECORDS_PORT: String(crPort),
        CUSTOMER_RECORDS_DB_SCHEMA: uniqueName('e2e_exp_cr'),
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'warden-exports-e2e-'));
    app = await launchApp('exports', {
      port: exportsPort,
      env: {
        ...common,
        EXPORTS_PORT: String(exportsPort),
        EXPORTS_DB_SCHEMA: uniqueName('e2e_exports'),
        CUSTOMER_RECORDS_URL: customers.url,
        SERVICE_CLIENT_ID: 'exports',
        SERVICE_CLIENT_SECRET: clientSecret,
        EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
        EXPORTS_DIR: dir,
        // The worker's poll is a minute: every export here starts because the request or the
        // approval handed it to the worker at once (the crash test covers claiming by poll).
        EXPORTS_POLL_MS: '60000',
        EXPORTS_WORKER_LEASE_MS: '3000',
        EXPORTS_PROGRESS_EVERY: '100',
        EXPORTS_ROW_THRESHOLD: '200',
        EXPORTS_DECOY_EVERY: '20',
      },
    });
    // The staff member's book: 150 customers with contact data.
    for (let i = 0; i < 150; i++) {
      const res = await fetch(`${customers.url}/v1/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[staff]}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Client Person${i}`,
          company: `Firm ${i % 7}`,
          teamId: north,
          mobile: `+86 139-${String(1000 + i).padStart(4, '0')}-${String(5000 + i)}`,
          email: `client${i}@example.org`,
          nationalId: `11010119900307${String(1000 + i)}`,
        }),
      });
      expect(res.status).toBe(201);
    }
    // The directory has seen the team and the departing user.
    await expectEventually(
      async () => {
        const res = await call(leaver, 'POST', '/v1/exports', { fields: ['name'], format: 'csv', reason: 'check directory' });
        expect((await json<View>(res, 201)).approvalReasons).toContain('departing_requester');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    await app?.stop();
    await customers?.stop();
    await auth?.stop();
    await issuer?.stop();
    await producer?.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a small masked export', () => {
    let exported: View;
    let file: { token: string; text: string };

    beforeAll(async () => {
      exported = await requestExport(staff, { filter: {}, fields: ['name', 'company', 'mobile', 'email'], format: 'csv', reason: 'monthly follow-up calls' });
      await waitFor(staff, exported.id, 'completed');
      file = await download(staff, exported.id);
    });

    it('runs at once, with the estimate of the requester view', () => {
      expect(exported).toMatchObject({ status: expect.stringMatching(/queued|running|completed/), estimatedRows: 150, approvalRequired: false, approvalReasons: [] });
    });

    it('holds every row of the view, sensitive fields masked, plus a few decoy rows', () => {
      const rows = parse(file.text, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0])).toEqual(['id', 'name', 'company', 'mobile', 'email']);
      expect(rows.length).toBeGreaterThan(150);
      expect(rows.length).toBeLessThan(175);
      expect(file.text).not.toContain('client7@example.org');
      expect(file.text).not.toMatch(/139-\d{4}-\d{4}/);
      expect(rows.filter((r) => r.name === 'Client Person7')[0]?.email).toMatch(/^c\*{3,4}@example\.org$/);
    });

    it('answers a second use of the link with 410, and records the download', async () => {
      const again = await call(staff, 'GET', `/v1/exports/${exported.id}/download?token=${file.token}`);
      expect(again.status).toBe(410);
      expect((await statusOf(staff, exported.id)).status).toBe('downloaded');
      expect(await readdir(dir)).not.toContainEqual(expect.stringContaining(exported.id));
      const events = await readTopic(kafka, `${prefix}${Topics.events('exports')}`, {
        until: (messages) => messages.some((m) => m.value.includes('"ExportDownloaded"') && m.value.includes(exported.id)),
        timeoutMs: 30_000,
      });
      const downloaded = events.map((m) => JSON.parse(m.value)).find((e) => e.type === 'ExportDownloaded' && e.data.exportId === exported.id);
      expect(downloaded.data).toMatchObject({ requesterId: staff, userAgent: 'e2e-agent', deviceId: 'device-1' });
      const all = events.map((m) => m.value).join('\n');
      expect(all).not.toContain('client7@example.org');
      expect(all).not.toContain(file.token);
    });

    it('refuses a link to anyone but the requester', async () => {
      const other = await requestExport(staff, { fields: ['name'], format: 'jsonl', reason: 'names for the newsletter' });
      await waitFor(staff, other.id, 'completed');
      const res = await call(colleague, 'POST', `/v1/exports/${other.id}/download-link`);
      expect(res.status).toBe(403);
      const mine = await json<{ token: string }>(await call(staff, 'POST', `/v1/exports/${other.id}/download-link`), 201);
      expect((await call(colleague, 'GET', `/v1/exports/${other.id}/download?token=${mine.token}`)).status).toBe(403);
    });
  });

  describe('an export with sensitive fields in clear', () => {
    let exported: View;

    beforeAll(async () => {
      exported = await requestExport(staff, {
        fields: ['name', 'mobile', 'email'],
        clearFields: ['mobile'],
        format: 'csv',
        reason: 'hand-over of contact list',
      });
    });

    it('waits for approval with the reasons', () => {
      expect(exported).toMatchObject({ status: 'pending_approval', approvalRequired: true, approvalReasons: ['clear_sensitive_fields'] });
    });

    it('cannot be approved by its requester or a colleague', async () => {
      expect((await json<{ code: string }>(await call(staff, 'POST', `/v1/exports/${exported.id}/approve`, {}), 403)).code).toBe('EXPORT_SELF_APPROVAL');
      expect((await json<{ code: string }>(await call(colleague, 'POST', `/v1/exports/${exported.id}/approve`, {}), 403)).code).toBe('EXPORT_NOT_APPROVER');
    });

    it("needs the supervisor's fresh step-up proof", async () => {
      const noProof = await json<{ code: string }>(await call(supervisor, 'POST', `/v1/exports/${exported.id}/approve`, { comment: 'ok' }), 401);
      expect(noProof.code).toBe('EXPORT_STEP_UP_REQUIRED');
      const otherSession = await issuer.issue({ userId: supervisor, roles: ['supervisor'], audience: 'warden-step-up' });
      expect((await call(supervisor, 'POST', `/v1/exports/${exported.id}/approve`, { stepUpToken: otherSession })).status).toBe(401);
      const proof = await issuer.issue({ userId: supervisor, sessionId: supervisorSession, roles: ['supervisor'], audience: 'warden-step-up', expiresIn: 120 });
      const approved = await json<View>(await call(supervisor, 'POST', `/v1/exports/${exported.id}/approve`, { comment: 'ok', stepUpToken: proof }), 200);
      expect(approved).toMatchObject({ approverId: supervisor });
    });

    it('is traced from a trimmed, shuffled copy of its file to the export, requester and approver', async () => {
      await waitFor(staff, exported.id, 'completed');
      const { text } = await download(staff, exported.id);
      const rows = parse(text, { columns: true }) as Record<string, string>[];
      // In clear, with the leading `'` that keeps a spreadsheet from reading `+…` as a formula.
      expect(rows.find((r) => r.name === 'Client Person3')?.mobile).toBe("'+86 139-1003-5003");
      const leaked = rows.sort(() => Math.random() - 0.5).slice(0, 80);
      const csv = ['id,name,mobile,email', ...leaked.map((r) => [r.id, r.name, r.mobile, r.email].join(','))].join('\n');
      const trace = await json<Record<string, unknown>>(await call(officer, 'POST', '/v1/exports/trace', { content: csv }), 200);
      expect(trace).toMatchObject({ match: true, exportId: exported.id, requesterId: staff, approverId: supervisor });
      expect(trace.confidence as number).toBeGreaterThan(0.99);
      expect((await call(staff, 'POST', '/v1/exports/trace', { content: csv })).status).toBe(403);
    });
  });

  describe('cancellation', () => {
    it('by the offboarding command on Kafka cancels the user exports and voids their links', async () => {
      const pending = await requestExport(leaver, { fields: ['name'], format: 'xlsx', reason: 'before leaving' });
      expect(pending.status).toBe('pending_approval');
      // The supervisor's inbox and review name the requester, from the directory fed by authorization's events.
      const named = { id: pending.id, requesterId: leaver, requesterName: 'Leaver', requesterUsername: 'leaver' };
      expect(await json<View[]>(await call(supervisor, 'GET', '/v1/exports?scope=approvals'), 200)).toContainEqual(expect.objectContaining(named));
      expect(await json<View>(await call(supervisor, 'GET', `/v1/exports/${pending.id}`), 200)).toMatchObject(named);
      const command: CommandEnvelope = {
        commandId: randomUUID(),
        type: 'CancelUserExports',
        issuedAt: new Date().toISOString(),
        actor: { userId: 'system:offboarding', sessionId: null, ip: null, userAgent: null, deviceId: null },
        correlationId: `offboarding-${uuidv7()}`,
        data: { userId: leaver, reason: 'offboarding' },
      };
      const topic = `${prefix}${Topics.commands('exports')}`;
      await producer.send({ topic, acks: -1, messages: [{ key: leaver, value: JSON.stringify(command) }, { key: leaver, value: '{"not":"a command"}' }] });
      await waitFor(leaver, pending.id, 'cancelled');
      const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 30_000 });
      expect(dead[0].headers['dlq-error-code']).toBe('CONTRACT_VIOLATION');
      // The command is answered on the exports' events topic: one CommandCompleted counting what it
      // cancelled (the pending export and those the directory check made; keyed by other streams, so
      // they may arrive after the answer).
      const ofCommand = (messages: readonly { value: string }[], type: string) =>
        messages.map((m) => JSON.parse(m.value) as EventEnvelope).filter((e) => e.type === type && e.causationId === command.commandId);
      const settled = (messages: readonly { value: string }[]) => {
        const answer = ofCommand(messages, 'CommandCompleted')[0] as EventEnvelope<{ outcome: { cancelled: number } }> | undefined;
        return answer !== undefined && ofCommand(messages, 'ExportCancelled').length >= answer.data.outcome.cancelled;
      };
      const events = await readTopic(kafka, `${prefix}${Topics.events('exports')}`, { until: settled, timeoutMs: 30_000 });
      const answers = ofCommand(events, 'CommandCompleted');
      const cancelledByCommand = ofCommand(events, 'ExportCancelled');
      expect(answers).toHaveLength(1);
      expect(answers[0].correlationId).toBe(command.correlationId);
      expect(cancelledByCommand.map((e) => e.streamId)).toContain(`export-${pending.id}`);
      expect(answers[0].data).toEqual({ commandId: command.commandId, command: 'CancelUserExports', outcome: { cancelled: cancelledByCommand.length } });
    });

    it('by the requester over HTTP', async () => {
      const pending = await requestExport(staff, { fields: ['name', 'email'], clearFields: ['email'], format: 'csv', reason: 'mailing check' });
      expect(pending.status).toBe('pending_approval');
      expect((await json<View>(await call(staff, 'POST', `/v1/exports/${pending.id}/cancel`, { reason: 'not needed' }), 200)).status).toBe('cancelled');
      expect((await call(supervisor, 'POST', `/v1/exports/${pending.id}/reject`, {})).status).toBe(409);
    });
  });

  describe('bad requests and failures', () => {
    it('names the offending field of a bad request', async () => {
      const res = await call(staff, 'POST', '/v1/exports', { fields: ['name', 'salary'], format: 'pdf', reason: 'x' });
      const body = await json<{ code: string; message: string }>(res, 400);
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.message).toContain('body.fields');
      expect(body.message).toContain('body.format');
    });

    it('refuses a field the requester may not see in clear', async () => {
      const res = await call(supervisor, 'POST', '/v1/exports', { fields: ['name', 'mobile'], clearFields: ['mobile'], format: 'csv', reason: 'team review' });
      expect(res.status).toBe(403);
    });

    it('answers 503 when customer-records is down', async () => {
      await customers.stop();
      const res = await call(staff, 'POST', '/v1/exports', { fields: ['name'], format: 'csv', reason: 'while it is down' });
      expect(res.status).toBe(503);
    });
  });
});
