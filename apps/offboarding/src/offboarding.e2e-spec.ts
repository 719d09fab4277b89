import { randomBytes, randomUUID } from 'node:crypto';
import { eventRegistry, GENESIS_HASH, hashEvent, systemActor, Topics, type CommandEnvelope } from '@warden/contracts';
import {
  createTestSchema,
  createTopics,
  dropTestSchema,
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
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { auditActivityAnswer } from './test/audit-activity.fixture';
import { DirectoryStub } from './test/directory-stub';
import { StepResponder } from './test/step-responder';
import { TransferResponder } from './test/transfer-responder';

const SECRET = randomBytes(24).toString('hex');
const CUSTOMERS = 10_000;

type Step = {
  step: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  counts: Record<string, unknown>;
};
type Case = {
  id: string;
  status: string;
  requestedAt: string;
  tookEffectAt: string | null;
  completedAt: string | null;
  attention: { step: string; reason: string } | null;
  steps: Step[];
  report: { links: Record<string, string> } | null;
};

describe('offboarding (running app; authorization, exports, audit and customer-records STUBBED for the failure paths)', () => {
  const schema = uniqueName('e2e_offboarding');
  const prefix = uniqueTopicPrefix('e2e-offb');
  let port = 0;
  let app: LaunchedApp;
  let issuer: TestTokenIssuer;
  let stub: DirectoryStub;
  let responder: TransferResponder;
  let receivers: StepResponder;
  let kafka: Kafka;
  let inspector: DataSource;
  let hrToken = '';
  let env: Record<string, string>;
  const team = randomUUID();
  const otherTeam = randomUUID();

  const user = (overrides: { status?: string; teamId?: string | null; managerId?: string | null } = {}) => {
    const id = randomUUID();
    stub.users.set(id, { id, status: 'active', teamId: team, managerId: null, ...overrides });
    return id;
  };
  const call = (method: string, path: string, body?: unknown, token = hrToken) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const getCase = async (id: string): Promise<Case> => (await (await call('GET', `/v1/offboardings/${id}`)).json()) as Case;
  const start = async (body: Record<string, unknown>): Promise<string> => {
    const res = await call('POST', '/v1/offboardings', { reason: 'resigned', ...body });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const until = (id: string, status: string, timeoutMs = 90_000) =>
    expectEventually(
      async () => {
        const c = await getCase(id);
        if (c.status !== status) throw new Error(`case ${id} is ${c.status}, waiting for ${status}: ${JSON.stringify(c.steps ?? c)}`);
        return c;
      },
      { timeoutMs, intervalMs: 200 },
    );
  const launch = () => launchApp('offboarding', { port, env, readyTimeoutMs: 90_000 });

  beforeAll(async () => {
    port = await freePort();
    const e = testEnv();
    issuer = await TestTokenIssuer.start();
    stub = await DirectoryStub.start(SECRET);
    stub.teams.push({ id: team, parentId: null }, { id: otherTeam, parentId: null });
    stub.activity = { ...auditActivityAnswer };
    hrToken = await issuer.issue({ roles: ['hr'], expiresIn: 3600 });
    kafka = testKafka('e2e-offboarding');
    await createTopics(kafka, [
      `${prefix}${Topics.commands('customer-records')}`,
      `${prefix}${Topics.events('customer-records')}`,
      `${prefix}${Topics.events('exports')}`,
      `${prefix}${Topics.events('authorization')}`,
    ]);
    receivers = new StepResponder(kafka, prefix, stub);
    await createTopics(kafka, [...receivers.topics, `${prefix}${Topics.events('audit')}`]);
    await receivers.start();
    responder = new TransferResponder(kafka, prefix, () => CUSTOMERS);
    await responder.start();
    env = {
      OFFBOARDING_PORT: String(port),
      OFFBOARDING_DB_SCHEMA: schema,
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: e.databaseUrl,
      REDIS_URL: e.redisUrl,
      KAFKA_BROKERS: e.kafkaBrokers.join(','),
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTHORIZATION_URL: stub.url,
      SERVICE_CLIENT_SECRET: SECRET,
      OFFBOARDING_SAGA_POLL_MS: '200',
      OFFBOARDING_MAX_ATTEMPTS: '3',
      OFFBOARDING_RETRY_INITIAL_MS: '200',
      OFFBOARDING_RETRY_MAX_MS: '1000',
      OFFBOARDING_HANDOVER_TIMEOUT_MS: '20000',
    };
    app = await launch();
    ({ dataSource: inspector } = await createTestSchema('e2e_offboarding', [], schema));
  });

  // A failed test must not leave a failing dependency behind for the next one.
  afterEach(() => {
    receivers.holdDeparting = null;
    receivers.failFreeze = false;
    receivers.failAudit = false;
    receivers.holdFreeze = null;
    receivers.holdActivity = null;
    stub.failCancelDeparture = false;
    responder.paused = false;
    responder.holdMidway = null;
  });

  afterAll(async () => {
    await app?.stop();
    await responder?.stop();
    await receivers?.stop();
    await stub?.stop();
    await issuer?.stop();
    await dropTestSchema(inspector, schema);
  });

  describe('a case that takes effect now', () => {
    it('freezes, hands 10,000 customers over, reports and completes', async () => {
      const leaver = user();
      const successor = user();
      const leaverToken = await issuer.issue({ userId: leaver, roles: ['hr'], expiresIn: 3600 });
      expect((await call('GET', '/v1/offboardings?limit=1', undefined, leaverToken)).status).toBe(200);

      const requestedAt = Date.now();
      const id = await start({ userId: leaver, successorId: successor });
      // The leaver's token is refused from the moment the freeze lands (Redis marker, every service).
      let refusedAt = 0;
      await expectEventually(
        async () => {
          const res = await call('GET', '/v1/offboardings?limit=1', undefined, leaverToken);
          if (res.status !== 401) throw new Error(`still accepted (${res.status})`);
          expect(((await res.json()) as { code: string }).code).toBe('TOKEN_REVOKED');
          refusedAt = Date.now();
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      const done = await until(id, 'completed');
      const tookEffect = Date.parse(done.tookEffectAt ?? '');
      process.stdout.write(
        `offboarding e2e: freeze latency (took effect → leaver's token refused) ${refusedAt - tookEffect} ms; request → refused ${refusedAt - requestedAt} ms\n`,
      );

      expect(stub.frozen.has(leaver)).toBe(true);
      const steps = Object.fromEntries(done.steps.map((s) => [s.step, s]));
      expect(steps.freeze).toMatchObject({ status: 'done', counts: { sessionsRevoked: 2, grantsRevoked: 1 } });
      expect(steps.handover).toMatchObject({ status: 'done', counts: { customersTransferred: CUSTOMERS, done: CUSTOMERS, total: CUSTOMERS } });
      expect(steps.report).toMatchObject({ status: 'done', counts: { logins: 2, customersViewed: 2, reveals: 1, exports: 1, downloads: 1, alerts: 1 } });
      expect(steps.markDeparting.status).toBe('skipped');
      // Every step's timestamps, in order: requested ≤ took effect ≤ each step's start ≤ its end ≤ the next step's start ≤ completed.
      const ms = (at: string | null) => {
        expect(at).toEqual(expect.any(String));
        return Date.parse(at ?? '');
      };
      let previous = ms(done.requestedAt);
      expect(ms(done.tookEffectAt)).toBeGreaterThanOrEqual(previous);
      previous = ms(done.tookEffectAt);
      for (const step of [steps.freeze, steps.handover, steps.report]) {
        expect(step).toMatchObject({ attempts: 0, lastError: null, nextAttemptAt: null });
        expect(ms(step.startedAt)).toBeGreaterThanOrEqual(previous);
        expect(ms(step.completedAt)).toBeGreaterThanOrEqual(ms(step.startedAt));
        previous = ms(step.completedAt);
      }
      expect(ms(done.completedAt)).toBeGreaterThanOrEqual(previous);
      expect(steps.markDeparting).toMatchObject({ startedAt: null, completedAt: null });

      const commands = responder.commands.filter((c) => c.correlationId === id);
      expect(commands[0]).toMatchObject({ type: 'TransferCustomers', data: { fromUserId: leaver, toUserId: successor } });
      expect(new Set(commands.map((c) => c.commandId)).size).toBe(1);

      const json = await call('GET', `/v1/offboardings/${id}/report?format=json`);
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({ userId: leaver, periodDays: 90, activity: { logins: { items: [{ ip: '203.0.113.9' }, { ip: '198.51.100.4' }] } } });
      const csv = await call('GET', `/v1/offboardings/${id}/report?format=csv`);
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      expect(await csv.text()).toMatch(/^section,at,ip/);
      const html = await (await call('GET', `/v1/offboardings/${id}/report?format=html`)).text();
      expect(html).toContain('&lt;b&gt;call back&lt;/b&gt;');
      expect(html).not.toContain('<b>call back</b>');
      // Each step a command on Kafka, answered once.
      expect(receivers.commandsOf('FreezeUserAccess', leaver)).toHaveLength(1);
      expect(receivers.commandsOf('CancelUserExports', leaver)).toHaveLength(1);
      expect(receivers.commandsOf('CompileUserActivity', leaver)).toEqual([expect.objectContaining({ correlationId: id, data: { userId: leaver, days: 90 } })]);
      expect(receivers.commandsOf('MarkUserDeparting', leaver)).toHaveLength(0);

      const messages = await readTopic(kafka, `${prefix}${Topics.events('offboarding')}`, {
        until: (read) => read.some((m) => m.key === `offboarding-${id}` && m.value.includes('"OffboardingCompleted"')),
        timeoutMs: 30_000,
      });
      const types = messages.filter((m) => m.key === `offboarding-${id}`).map((m) => eventRegistry.decode(JSON.parse(m.value)).type);
      expect(types).toEqual(expect.arrayContaining(['AccessFrozen', 'HandoverCompleted', 'ReportGenerated', 'LeaverReportReady', 'OffboardingCompleted']));
      expect(messages.map((m) => m.value).join('\n')).not.toContain(SECRET);
    });
  });

  describe('validation', () => {
    const expectError = async (body: Record<string, unknown>, status: number, code: string, message: RegExp) => {
      const res = await call('POST', '/v1/offboardings', { reason: 'resigned', ...body });
      const answer = (await res.json()) as { code: string; message: string };
      expect({ status: res.status, code: answer.code }).toEqual({ status, code });
      expect(answer.message).toMatch(message);
    };

    it('refuses an unknown user, the leaver as successor, a disabled or out-of-scope successor, a second case', async () => {
      const leaver = user();
      await expectError({ userId: randomUUID(), successorId: user() }, 400, 'OFFBOARDING_UNKNOWN_USER', /does not exist/);
      await expectError({ userId: leaver, successorId: leaver }, 400, 'OFFBOARDING_SUCCESSOR_IS_LEAVER', /cannot be the leaver/);
      await expectError({ userId: leaver, successorId: randomUUID() }, 400, 'OFFBOARDING_UNKNOWN_SUCCESSOR', /does not exist/);
      await expectError({ userId: leaver, successorId: user({ status: 'disabled' }) }, 409, 'OFFBOARDING_SUCCESSOR_UNAVAILABLE', /is disabled/);
      await expectError({ userId: leaver, successorId: user({ teamId: otherTeam }) }, 409, 'OFFBOARDING_SUCCESSOR_OUT_OF_SCOPE', /outside the allowed scope/);
      await expectError({ userId: user({ status: 'offboarded' }), successorId: user() }, 409, 'OFFBOARDING_USER_ALREADY_OFFBOARDED', /already offboarded/);
      await expectError({ userId: leaver }, 400, 'VALIDATION_FAILED', /exactly one of successorId and successorPoolId/);
      await expectError({ userId: 'x', successorId: user(), extra: 1 }, 400, 'VALIDATION_FAILED', /body.userId.*unknown field\(s\) extra|unknown field\(s\) extra.*body.userId/);
      const later = new Date(Date.now() + 3600_000).toISOString();
      await start({ userId: leaver, successorId: user(), effectiveAt: later });
      await expectError({ userId: leaver, successorId: user() }, 409, 'OFFBOARDING_ALREADY_OPEN', /already has an open offboarding case/);
    });

    it('is for hr and admin only', async () => {
      const staff = await issuer.issue({ roles: ['staff'] });
      expect((await call('GET', '/v1/offboardings', undefined, staff)).status).toBe(403);
      expect((await call('GET', '/v1/offboardings', undefined, 'nope')).status).toBe(401);
    });
  });

  describe('a case dated in the future', () => {
    it('marks the user departing, survives a restart, takes effect on time; another is cancelled before its date', async () => {
      const leaver = user();
      const effectiveAt = new Date(Date.now() + 90_000).toISOString();
      // SIGKILL while the departing mark is on its way: authorization's answer lands while no process runs.
      let releaseMark: () => void = () => undefined;
      receivers.holdDeparting = new Promise<void>((resolve) => {
        releaseMark = resolve;
      });
      const id = await start({ userId: leaver, successorId: user(), effectiveAt });
      await expectEventually(() => expect(receivers.commandsOf('MarkUserDeparting', leaver)).toHaveLength(1), { timeoutMs: 20_000 });
      await app.kill();
      receivers.holdDeparting = null;
      releaseMark();
      app = await launch();
      await expectEventually(async () => expect((await getCase(id)).steps.find((s) => s.step === 'markDeparting')?.status).toBe('done'), {
        timeoutMs: 90_000,
        intervalMs: 250,
      });
      expect(receivers.commandsOf('MarkUserDeparting', leaver)).toHaveLength(1);
      const stays = user();
      const cancelled = await start({ userId: stays, successorId: user(), effectiveAt: new Date(Date.now() + 3600_000).toISOString() });
      await expectEventually(() => expect(stub.departing.get(leaver)).toBe(effectiveAt), { timeoutMs: 20_000 });
      await expectEventually(() => expect(stub.departing.has(stays)).toBe(true), { timeoutMs: 20_000 });
      expect((await getCase(id)).status).toBe('scheduled');
      // Authorization cannot clear the departing mark: the cancel is refused and the case stays as it was.
      stub.failCancelDeparture = true;
      const refused = await call('POST', `/v1/offboardings/${cancelled}/cancel`, { reason: 'stays after all' });
      expect(refused.status).toBe(503);
      expect((await getCase(cancelled)).status).toBe('scheduled');
      expect(stub.users.get(stays)?.status).toBe('departing');
      stub.failCancelDeparture = false;
      const res = await call('POST', `/v1/offboardings/${cancelled}/cancel`, { reason: 'stays after all' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Case).status).toBe('cancelled');
      expect((await call('GET', '/v1/offboardings?status=cancelled')).status).toBe(200);
      // The cancel undid the departing mark: the user is active again.
      expect(stub.departing.has(stays)).toBe(false);
      expect(stub.users.get(stays)?.status).toBe('active');
      const undo = stub.calls.filter((c) => c.method === 'POST' && c.path === `/v1/users/${stays}/departing/cancel`);
      expect(undo.at(-1)?.body).toEqual({ reason: `offboarding:${cancelled} cancelled` });
      // A user offboarded meanwhile by other means has no departing mark left to clear (409 USER_OFFBOARDED): the cancel goes through.
      const gone = user();
      const goneCase = await start({ userId: gone, successorId: user(), effectiveAt: new Date(Date.now() + 3600_000).toISOString() });
      await expectEventually(() => expect(stub.departing.has(gone)).toBe(true), { timeoutMs: 20_000 });
      Object.assign(stub.users.get(gone) ?? {}, { status: 'offboarded' });
      const goneRes = await call('POST', `/v1/offboardings/${goneCase}/cancel`, {});
      expect(goneRes.status).toBe(200);
      expect(((await goneRes.json()) as Case).status).toBe('cancelled');
      expect(stub.departing.has(gone)).toBe(true);

      await app.kill();
      app = await launch();
      const done = await until(id, 'completed', 120_000);
      expect(Date.parse(done.tookEffectAt ?? '')).toBeGreaterThanOrEqual(Date.parse(effectiveAt));
      expect(stub.frozen.get(leaver)).toBeGreaterThanOrEqual(Date.parse(effectiveAt));

      const late = await call('POST', `/v1/offboardings/${id}/cancel`, {});
      expect(late.status).toBe(409);
      expect(((await late.json()) as { code: string }).code).toBe('OFFBOARDING_COMPLETED');
    }, 300_000);
  });

  describe('SIGKILL in the middle of each step', () => {
    it('still completes, with one freeze effect, one transfer command id and one report', async () => {
      const leaver = user();
      const hold = () => {
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        return { held, release: () => release() };
      };
      const relaunch = async () => {
        await app.kill();
        app = await launch();
      };
      const freeze = hold();
      receivers.holdFreeze = freeze.held;
      const id = await start({ userId: leaver, successorId: user() });
      await expectEventually(() => expect(receivers.commandsOf('FreezeUserAccess', leaver).length).toBeGreaterThan(0), { timeoutMs: 30_000 });
      // 1. During the freeze: its answer lands while no offboarding process runs.
      const midway = hold();
      responder.holdMidway = midway.held;
      await app.kill();
      freeze.release();
      receivers.holdFreeze = null;
      app = await launch();
      // 2. In the middle of the hand-over: half its batches recorded (the new instance first waits for
      // Kafka to give it the dead one's partitions: session timeout 30 s).
      const progressed = async () => {
        const c = await getCase(id);
        const handover = c.steps.find((s) => s.step === 'handover');
        return Number(handover?.counts.done ?? 0);
      };
      await expectEventually(async () => expect(await progressed()).toBeGreaterThan(0), { timeoutMs: 150_000, intervalMs: 250 });
      expect(await progressed()).toBeLessThan(CUSTOMERS);
      const report = hold();
      receivers.holdActivity = report.held;
      await relaunch();
      midway.release();
      responder.holdMidway = null;
      // 3. During the report: audit's answer held, then landing while no offboarding process runs.
      await expectEventually(() => expect(receivers.commandsOf('CompileUserActivity', leaver).length).toBeGreaterThan(0), {
        timeoutMs: 150_000,
        intervalMs: 250,
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}\ncase: ${JSON.stringify(await getCase(id))}\n--- offboarding output ---\n${app.output()}`);
      });
      await app.kill();
      report.release();
      receivers.holdActivity = null;
      app = await launch();
      const done = await until(id, 'completed', 150_000);

      const byStep = Object.fromEntries(done.steps.map((s) => [s.step, s]));
      expect(stub.frozen.has(leaver)).toBe(true);
      expect(byStep.freeze.status).toBe('done');
      expect(byStep.freeze.counts).toMatchObject({ sessionsRevoked: 2, grantsRevoked: 1 });
      expect(byStep.handover.counts).toMatchObject({ customersTransferred: CUSTOMERS });
      // One transfer: the same command id and transfer id however often it was sent.
      const commands = responder.commands.filter((c) => c.correlationId === id);
      expect(new Set(commands.map((c) => c.commandId)).size).toBe(1);
      expect(new Set(commands.map((c) => (c as CommandEnvelope<{ transferId: string }>).data.transferId)).size).toBe(1);
      const types: Array<{ type: string; n: string }> = await inspector.query(
        `SELECT type, count(*)::text AS n FROM "${schema}".events WHERE stream_id = $1 GROUP BY type`,
        [`offboarding-${id}`],
      );
      const count = Object.fromEntries(types.map((t) => [t.type, Number(t.n)]));
      expect(count).toMatchObject({ AccessFrozen: 1, HandoverStarted: 1, HandoverCompleted: 1, ReportGenerated: 1, OffboardingCompleted: 1 });
      // Progress only ever moved forward.
      const progress: Array<{ done: number }> = await inspector.query(
        `SELECT (data->>'done')::int AS done FROM "${schema}".events WHERE stream_id = $1 AND type = 'HandoverProgressed' ORDER BY stream_version`,
        [`offboarding-${id}`],
      );
      expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
      const reports: unknown[] = await inspector.query(`SELECT 1 FROM "${schema}".offboarding_reports WHERE case_id = $1`, [id]);
      expect(reports).toHaveLength(1);
    }, 600_000);
  });

  describe('a step that keeps failing', () => {
    it('puts the case in needs_attention with the reason; a retry resumes it', async () => {
      receivers.failFreeze = true;
      const id = await start({ userId: user(), successorId: user() });
      const stuck = await until(id, 'needs_attention', 60_000);
      expect(stuck.attention).toMatchObject({ step: 'freeze', reason: expect.stringMatching(/FreezeUserAccess refused \(SERVICE_UNAVAILABLE\)/) });
      const freeze = stuck.steps.find((s) => s.step === 'freeze');
      expect(freeze).toMatchObject({ status: 'needs_attention', attempts: 3, nextAttemptAt: null, completedAt: null });
      expect(freeze?.lastError).toMatch(/FreezeUserAccess refused \(SERVICE_UNAVAILABLE\)/);
      expect(Date.parse(freeze?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(stuck.tookEffectAt ?? ''));
      expect(stuck.steps.find((s) => s.step === 'handover')).toMatchObject({ status: 'pending', startedAt: null });
      // The list filters by status: the case is among those needing attention, not among the others.
      const listed = async (status: string) =>
        ((await (await call('GET', `/v1/offboardings?status=${status}&limit=200`)).json()) as { items: Array<{ id: string; status: string }> }).items;
      const attention = await listed('needs_attention');
      expect(attention.map((c) => c.id)).toContain(id);
      expect(new Set(attention.map((c) => c.status))).toEqual(new Set(['needs_attention']));
      expect((await listed('in_progress')).map((c) => c.id)).not.toContain(id);
      expect((await call('GET', '/v1/offboardings?status=stuck')).status).toBe(400);
      receivers.failFreeze = false;
      const retried = await call('POST', `/v1/offboardings/${id}/retry`);
      expect(retried.status).toBe(200);
      const done = await until(id, 'completed');
      // The step's record after the retry: done, its count fresh, nothing scheduled; the last error kept as its history.
      const frozen = done.steps.find((s) => s.step === 'freeze');
      expect(frozen).toMatchObject({ status: 'done', attempts: 0, nextAttemptAt: null, lastError: freeze?.lastError });
      expect(Date.parse(frozen?.completedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(frozen?.startedAt ?? ''));
      expect((await listed('completed')).map((c) => c.id)).toContain(id);
      expect((await listed('needs_attention')).map((c) => c.id)).not.toContain(id);
      const again = await call('POST', `/v1/offboardings/${id}/retry`);
      expect(again.status).toBe(409);
    });
  });

  describe('the identity provider', () => {
    /** The identity provider deprovisions `leaver` (the message delivered twice). */
    const deprovision = async (leaver: string) => {
      const producer = testProducer(kafka);
      await producer.connect();
      const body = {
        eventId: uuidv7(),
        type: 'UserDeprovisioned',
        schemaVersion: 1,
        streamId: `scim-user-${leaver}`,
        streamVersion: 1,
        occurredAt: new Date().toISOString(),
        actor: systemActor('scim'),
        correlationId: randomUUID(),
        causationId: null,
        data: { userId: leaver, source: 'scim', reason: 'inactive' },
      };
      const envelope = { ...body, globalPosition: 1, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, body) };
      const message = { key: body.streamId, value: JSON.stringify(envelope) };
      await producer.send({ topic: `${prefix}${Topics.events('authorization')}`, acks: -1, messages: [message, message] });
      await producer.disconnect();
    };

    it('starts a case from UserDeprovisioned with the manager as successor', async () => {
      const manager = user();
      const leaver = user({ managerId: manager });
      await deprovision(leaver);
      const found = await expectEventually(
        async () => {
          const page = (await (await call('GET', `/v1/offboardings?userId=${leaver}`)).json()) as { items: Array<{ id: string; source: string }> };
          expect(page).toMatchObject({ items: [expect.anything()] });
          expect(page.items).toHaveLength(1);
          return page.items[0];
        },
        { timeoutMs: 30_000 },
      );
      expect(found.source).toBe('scim');
      await until(found.id, 'completed');
      const command = responder.commands.find((c) => c.correlationId === found.id);
      expect(command?.data).toMatchObject({ fromUserId: leaver, toUserId: manager });
    });

    it('hands the book to the successor pool when policy names one, not to the manager', async () => {
      const pool = randomUUID();
      stub.teams.push({ id: pool, parentId: null });
      const members = [user({ teamId: pool }), user({ teamId: pool })];
      user({ teamId: pool, status: 'disabled' }); // not a successor
      await app.kill();
      app = await launchApp('offboarding', { port, env: { ...env, OFFBOARDING_SCIM_SUCCESSOR_POOL_ID: pool }, readyTimeoutMs: 90_000 });
      const manager = user();
      const leaver = user({ managerId: manager });
      await deprovision(leaver);
      const found = await expectEventually(
        async () => {
          const page = (await (await call('GET', `/v1/offboardings?userId=${leaver}`)).json()) as { items: Array<{ id: string }> };
          expect(page.items).toHaveLength(1);
          return page.items[0];
        },
        { timeoutMs: 60_000 },
      );
      const done = await until(found.id, 'completed');
      expect(done).toMatchObject({ source: 'scim', successorPoolId: pool });
      const command = responder.commands.find((c) => c.correlationId === found.id);
      expect(command?.data).toMatchObject({ fromUserId: leaver, toUserId: null });
      expect([...((command?.data as { toPoolUserIds: string[] }).toPoolUserIds ?? [])].sort()).toEqual([...members].sort());
    });
  });
});
