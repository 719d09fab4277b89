import { randomBytes, randomUUID } from 'node:crypto';
import { Topics, type EventEnvelope } from '@warden/contracts';
import {
  connectTestSchema,
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
import type { Producer } from 'kafkajs';
import { verifyCheckpointSignature } from './checkpoints/checkpoint-signer.util';
import { AbilityServer } from './test/ability-server';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle/merkle.util';
import { chainOf, reseal } from './test/trail-fixtures';
import type { VerificationResult } from './verification/trail-verifier';

type Page = { items: Array<{ position: number; topic: string; event: EventEnvelope }>; nextCursor: string | null; fieldLevels: Record<string, string> };

/**
 * The running audit service against real Kafka and Postgres: indexing every topic (unknown types
 * kept, malformed messages dead-lettered), tamper detection on a tampered copy of a topic, signed
 * checkpoints and proofs, search permissions and export, user activity, customer access, reports.
 */
describe('audit (running app)', () => {
  const kafka = testKafka('audit-e2e');
  const prefix = uniqueTopicPrefix('e2e-audit');
  const originalPrefix = uniqueTopicPrefix('e2e-audit-orig');
  const schema = uniqueName('e2e_audit');
  const signingKey = randomBytes(32).toString('base64');
  const leaver = randomUUID();
  const customer = randomUUID();
  const correlationId = `corr-${randomUUID()}`;
  const adminId = randomUUID();
  let app: LaunchedApp;
  let issuer: TestTokenIssuer;
  let abilities: AbilityServer;
  let producer: Producer;
  const tokens: Record<string, string> = {};
  const get = (as: string, path: string) => fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${tokens[as]}` } });
  const json = async <T>(as: string, path: string): Promise<T> => {
    const res = await get(as, path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const send = (topic: string, events: readonly EventEnvelope[]) =>
    producer.send({ topic: `${prefix}${topic}`, acks: -1, messages: events.map((e) => ({ key: e.streamId, value: JSON.stringify(e) })) });

  // The honest history of a user on several topics.
  const logins = chainOf(`session-${leaver}`, [
    {
      type: 'LoginSucceeded',
      data: { userId: leaver, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: null } },
      actor: { userId: leaver, ip: '198.51.100.7', deviceId: 'device-7' },
      correlationId,
    },
  ]);
  const access = chainOf(`access-${leaver}`, [
    { type: 'CustomerViewed', data: { readerId: leaver, customerId: customer, fieldsInClear: [], fieldsMasked: ['mobile'] }, actor: { userId: leaver, ip: '198.51.100.7' } },
    {
      type: 'SensitiveFieldRevealed',
      data: { readerId: leaver, customerId: customer, field: 'mobile', reason: 'callback' },
      actor: { userId: leaver, ip: '198.51.100.7' },
    },
    { type: 'FutureAccessRecorded', schemaVersion: 3, data: { readerId: leaver, customerId: customer, ciphertext: 'v1.AAAA.BBBB' }, actor: { userId: leaver } },
  ]);
  // Events around a time range [10:00, 12:00) on one day: before it, at its start, inside it, at its end.
  const rangeActor = randomUUID();
  const ranged = chainOf(
    `range-${rangeActor}`,
    ['2026-03-10T09:59:59.999Z', '2026-03-10T10:00:00.000Z', '2026-03-10T11:59:59.999Z', '2026-03-10T12:00:00.000Z'].map((occurredAt, i) => ({
      type: 'RangeProbeRecorded',
      data: { i },
      occurredAt,
      actor: { userId: rangeActor },
    })),
  );
  // The exports service streamed a customer's row into an export for a user.
  const exportedCustomer = randomUUID();
  const exportRequester = randomUUID();
  const exportId = randomUUID();
  const exportStream = { readerId: 'system:exports', onBehalfOf: exportRequester, purposeId: exportId, fieldsInClear: ['mobile'] };
  const exportAccess = chainOf(`access-system:exports-${randomUUID()}`, [
    {
      type: 'CustomerRowsStreamed',
      data: { ...exportStream, offset: 0, customerIds: [randomUUID(), exportedCustomer, randomUUID()] },
      actor: { userId: 'system:exports' },
    },
    { type: 'CustomersStreamed', data: { ...exportStream, filterKeys: [], resultCount: 3 }, actor: { userId: 'system:exports' } },
  ]);
  // The original topic and the tampered copy.
  const streams = ['alter', 'remove', 'insert', 'reorder'].map((name) =>
    chainOf(`customer-${name}-${randomUUID()}`, [1, 2, 3, 4].map((i) => ({ type: 'CustomerUpdated', data: { i, mobile: { ciphertext: `v1.${name}.${i}` } } }))),
  );
  const [alter, remove, insert, reorder] = streams;
  const altered = { ...alter[1], data: { ...alter[1].data, i: 99 } };
  const forged = reseal({ ...insert[1], eventId: '019a0000-0000-7000-8000-0000000000ff' }, { data: { i: 'forged' } });

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    abilities = await AbilityServer.start();
    tokens.admin = await issuer.issue({ userId: adminId, roles: ['admin'] });
    tokens.auditor = await issuer.issue({ roles: ['auditor'] });
    tokens.officer = await issuer.issue({ roles: ['security_officer'] });
    tokens.staff = await issuer.issue({ roles: ['staff'] });
    tokens.offboarding = await issuer.issue({ userId: 'system:offboarding', username: 'system:offboarding', roles: ['system'] });
    tokens.exports = await issuer.issue({ userId: 'system:exports', username: 'system:exports', roles: ['system'] });

    const topics = [Topics.events('authorization'), Topics.events('customer-records'), Topics.access];
    await createTopics(kafka, [...topics.map((t) => `${prefix}${t}`), `${originalPrefix}${Topics.events('customer-records')}`]);
    producer = testProducer(kafka);
    await producer.connect();

    // The original topic, then its copy read back from Kafka with one change per stream.
    await producer.send({
      topic: `${originalPrefix}${Topics.events('customer-records')}`,
      acks: -1,
      messages: streams.flat().map((e) => ({ key: e.streamId, value: JSON.stringify(e) })),
    });
    const original = (await readTopic(kafka, `${originalPrefix}${Topics.events('customer-records')}`, { count: 16 })).map(
      (m) => JSON.parse(m.value) as EventEnvelope,
    );
    const byStream = (s: EventEnvelope[]) => original.filter((e) => e.streamId === s[0].streamId).sort((a, b) => a.streamVersion - b.streamVersion);
    const copy = [
      ...byStream(alter).map((e) => (e.eventId === altered.eventId ? altered : e)),
      ...byStream(remove).filter((e) => e.eventId !== remove[1].eventId),
      ...byStream(insert).flatMap((e) => (e.eventId === insert[1].eventId ? [e, forged] : [e])),
      ...[0, 2, 1, 3].map((i) => byStream(reorder)[i]),
    ];
    await send(Topics.events('customer-records'), copy);
    await send(Topics.events('authorization'), logins);
    await send(Topics.access, access);
    await send(Topics.events('authorization'), ranged);
    await send(Topics.access, exportAccess);
    await producer.send({ topic: `${prefix}${Topics.access}`, acks: -1, messages: [{ key: 'x', value: '{"not":"an envelope"}' }] });

    const port = await freePort();
    const env = testEnv();
    app = await launchApp('audit', {
      port,
      env: {
        AUDIT_PORT: String(port),
        AUDIT_DB_SCHEMA: schema,
        AUDIT_SIGNING_KEY: signingKey,
        AUDIT_CHECKPOINT_INTERVAL_MS: '500',
        KAFKA_TOPIC_PREFIX: prefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        AUTH_JWKS_URL: issuer.jwksUrl,
        AUTHORIZATION_URL: abilities.url,
      },
      readyTimeoutMs: 90_000,
    });
    // Everything sent is indexed (tampered copy: 4 + 3 + 5 + 4 = 16; 1 login; 3 + 2 read events; 4 in the time range: 26).
    await expectEventually(
      async () => {
        const page = await json<Page>('auditor', '/v1/audit/events?limit=500');
        if (page.items.length < 26) throw new Error(`indexed ${page.items.length} of 26`);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    await producer?.disconnect();
    await issuer?.stop();
    await abilities?.stop();
    const inspector = await connectTestSchema(schema, 'audit-e2e-cleanup');
    await inspector.query(`DROP SCHEMA IF EXISTS "${schema}_outbox" CASCADE`);
    await dropTestSchema(inspector, schema);
  });

  it('staff, other services and anonymous callers cannot read the trail', async () => {
    for (const path of ['/v1/audit/events', '/v1/audit/verify', '/v1/audit/checkpoints', `/v1/audit/users/${leaver}/activity`, '/v1/audit/reports/2026-11']) {
      expect((await get('staff', path)).status).toBe(403);
      expect((await fetch(`${app.url}${path}`)).status).toBe(401);
    }
    expect((await get('exports', `/v1/audit/users/${leaver}/activity`)).status).toBe(403);
    expect((await get('offboarding', '/v1/audit/events')).status).toBe(403);
  });

  it('bad queries are 400s naming the problem', async () => {
    const res = await get('auditor', '/v1/audit/events?from=yesterday&limit=0');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.message).toContain('query.from');
    expect(body.message).toContain('query.limit');
    expect((await get('auditor', '/v1/audit/reports/2026-13')).status).toBe(400);
    expect((await get('auditor', '/v1/audit/consistency?from=5&to=2')).status).toBe(400);
    expect((await get('auditor', '/v1/audit/events?cursor=Zm9v')).status).toBe(400);
  });

  it('searches a time range [from, to): events at from and inside it, none before it or at to', async () => {
    const ids = async (query: string) =>
      (await json<Page>('auditor', `/v1/audit/events?actor=${rangeActor}${query}`)).items.map((i) => i.event.eventId);
    const [before, atFrom, inside, atTo] = ranged.map((e) => e.eventId);
    expect(await ids('')).toEqual([atTo, inside, atFrom, before]);
    expect(await ids('&from=2026-03-10T10:00:00Z&to=2026-03-10T12:00:00Z')).toEqual([inside, atFrom]);
    // The same instants with an offset.
    expect(await ids('&from=2026-03-10T11:00:00%2B01:00&to=2026-03-10T13:00:00%2B01:00')).toEqual([inside, atFrom]);
    expect(await ids('&from=2026-03-10T10:00:00Z')).toEqual([atTo, inside, atFrom]);
    expect(await ids('&to=2026-03-10T12:00:00Z')).toEqual([inside, atFrom, before]);
    expect(await ids('&from=2026-03-10T12:00:00.001Z')).toEqual([]);
    // The export of a search (oldest first) takes the same range; as the admin, whose exports the export test below leaves out.
    const file = await json<{ items: Array<{ event: EventEnvelope }> }>(
      'admin',
      `/v1/audit/events/export?format=json&actor=${rangeActor}&from=2026-03-10T10:00:00Z&to=2026-03-10T12:00:00Z`,
    );
    expect(file.items.map((i) => i.event.eventId)).toEqual([atFrom, inside]);
  });

  it('a bad time range is a 400 naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/audit/events?from=2026-03-10T12:00:00Z&to=2026-03-10T10:00:00Z', 'query.from: must not be after to'],
      ['/v1/audit/events?to=not-a-date', 'query.to: must be an ISO 8601 date-time'],
      ['/v1/audit/events?from=2026-13-01T00:00:00Z', 'query.from: must be an ISO 8601 date-time'],
      ['/v1/audit/events/export?format=csv&from=2026-03-11T00:00:00Z&to=2026-03-10T00:00:00Z', 'query.from: must not be after to'],
      [`/v1/audit/customers/${customer}/access?from=2026-03-11T00:00:00Z&to=2026-03-10T00:00:00Z`, 'query.from: must not be after to'],
      [`/v1/audit/customers/${customer}/access?to=tomorrow`, 'query.to: must be an ISO 8601 date-time'],
    ];
    for (const [path, message] of cases) {
      const res = await get('auditor', path);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(message);
    }
  });

  it('indexes unknown types as received and dead-letters a malformed message', async () => {
    const page = await json<Page>('auditor', `/v1/audit/events?type=FutureAccessRecorded`);
    expect(page.items.map((i) => i.event)).toEqual([access[2]]);
    const dlq = await readTopic(kafka, `${prefix}${Topics.access}.dlq`, { count: 1 });
    expect(dlq[0].headers['dlq-error-code']).toBe('CONTRACT_VIOLATION');
  });

  it('searches by actor, customer, ip, correlation id and service, with cursor paging; results as stored', async () => {
    const byActor = await json<Page>('officer', `/v1/audit/events?actor=${leaver}&limit=2`);
    expect(byActor.items).toHaveLength(2);
    expect(byActor.nextCursor).not.toBeNull();
    const next = await json<Page>('officer', `/v1/audit/events?actor=${leaver}&limit=2&cursor=${byActor.nextCursor}`);
    const ids = [...byActor.items, ...next.items].map((i) => i.event.eventId).sort();
    expect(ids).toEqual([...logins, ...access].map((e) => e.eventId).sort());
    const byCustomer = await json<Page>('auditor', `/v1/audit/events?customer=${customer}`);
    expect(byCustomer.items.map((i) => i.event.eventId).sort()).toEqual(access.map((e) => e.eventId).sort());
    expect((await json<Page>('auditor', `/v1/audit/events?ip=198.51.100.7`)).items).toHaveLength(3);
    expect((await json<Page>('auditor', `/v1/audit/events?correlationId=${correlationId}`)).items.map((i) => i.event)).toEqual(logins);
    const cr = await json<Page>('auditor', `/v1/audit/events?service=customer-records&limit=500`);
    // The 21 sent, and the AccessDenied events the app itself records for the requests refused above (libs/platform, access-denial.service).
    expect(cr.items.filter((i) => i.event.type !== 'AccessDenied').length).toBe(21);
    // Ciphertext stays ciphertext.
    expect(cr.items.some((i) => JSON.stringify(i.event.data).includes('v1.alter.1'))).toBe(true);
  });

  it('shows network and device data per the reader’s policy: in clear to an auditor, not at all to an admin', async () => {
    const auditor = await json<Page>('auditor', `/v1/audit/events?correlationId=${correlationId}`);
    expect(auditor.fieldLevels).toEqual({ ip: 'clear', userAgent: 'clear', deviceId: 'clear', geo: 'clear' });
    expect(auditor.items.map((i) => i.event)).toEqual(logins);
    const admin = await json<Page>('admin', `/v1/audit/events?correlationId=${correlationId}`);
    expect(admin.fieldLevels).toEqual({ ip: 'none', userAgent: 'none', deviceId: 'none', geo: 'none' });
    expect(admin.items.map((i) => i.event.eventId)).toEqual([logins[0].eventId]);
    expect(admin.items[0].event.actor).toEqual({ ...logins[0].actor, ip: null, deviceId: null, userAgent: null });
    expect(admin.items[0].event.data).toEqual({ ...logins[0].data, geo: null });
    // Searching by IP would reveal it: refused. The export hides it too.
    const byIp = await get('admin', '/v1/audit/events?ip=198.51.100.7');
    expect(byIp.status).toBe(403);
    expect(((await byIp.json()) as { code: string }).code).toBe('FILTER_NOT_ALLOWED');
    const file = await json<{ fieldLevels: Record<string, string>; items: Array<{ event: EventEnvelope }> }>('admin', `/v1/audit/events/export?format=json&actor=${leaver}`);
    expect(file.items.length).toBe(4);
    expect(JSON.stringify(file.items)).not.toContain('198.51.100.7');
  });

  it('verification names every altered, removed, inserted and reordered event of the tampered copy', async () => {
    const result = await json<VerificationResult>('auditor', '/v1/audit/verify');
    expect(result.ok).toBe(false);
    const at = (eventId: string) => result.problems.filter((p) => p.eventId === eventId);
    expect(at(altered.eventId)).toEqual([expect.objectContaining({ kind: 'altered', streamId: alter[0].streamId, streamVersion: 2 })]);
    expect(at(remove[2].eventId)).toEqual([
      expect.objectContaining({ kind: 'removed', streamId: remove[0].streamId, streamVersion: 3, detail: expect.stringContaining('expected stream version 2') }),
    ]);
    expect(at(forged.eventId)).toEqual([
      expect.objectContaining({ kind: 'inserted', streamId: insert[0].streamId, streamVersion: 2 }),
      expect.objectContaining({ kind: 'source-duplicated', streamId: insert[0].streamId, streamVersion: 2 }),
    ]);
    expect(at(reorder[1].eventId)).toEqual([expect.objectContaining({ kind: 'reordered', streamId: reorder[0].streamId, streamVersion: 2 })]);
    // Each problem at the exact audit position of the tampered event as indexed.
    const positionOf = async (eventId: string) => {
      const page = await json<Page>('auditor', `/v1/audit/events?service=customer-records&type=CustomerUpdated&limit=500`);
      const item = page.items.find((i) => i.event.eventId === eventId);
      if (!item) throw new Error(`${eventId} not in the trail`);
      return item.position;
    };
    for (const eventId of [altered.eventId, remove[2].eventId, forged.eventId, reorder[1].eventId]) {
      const position = await positionOf(eventId);
      for (const problem of at(eventId)) expect(problem.position).toBe(position);
    }
    // The forged event kept the source position (globalPosition) of the event it copied: both are named with it.
    const duplicated = result.problems.filter((p) => p.kind === 'source-duplicated');
    expect(duplicated.map((p) => p.eventId).sort()).toEqual([insert[1].eventId, forged.eventId].sort());
    expect(duplicated.map((p) => p.sourcePosition)).toEqual([insert[1].globalPosition, insert[1].globalPosition]);
    expect(new Set(duplicated.map((p) => p.source))).toEqual(new Set(['customer-records']));
    expect(duplicated.map((p) => p.position).sort()).toEqual([await positionOf(insert[1].eventId), await positionOf(forged.eventId)].sort());
  });

  it('raises a critical audit-chain-broken alert for each broken link on arrival', async () => {
    // 20 events sent, and the 5 alerts come back through the alerts topic into the trail.
    const alerts = await readTopic(kafka, `${prefix}${Topics.alerts}`, {
      until: (messages) => messages.length >= 5,
      timeoutMs: 60_000,
    });
    const raised = alerts.map((m) => JSON.parse(m.value) as EventEnvelope<{ rule: string; severity: string; evidence: string[] }>);
    expect(raised.every((e) => e.type === 'AlertRaised' && e.data.rule === 'audit-chain-broken' && e.data.severity === 'critical')).toBe(true);
    // The reordered stream breaks twice: v3 arrives after a gap, then v2 arrives late.
    expect(raised.flatMap((e) => e.data.evidence).sort()).toEqual(
      [altered.eventId, remove[2].eventId, forged.eventId, reorder[2].eventId, reorder[1].eventId].sort(),
    );
  });

  it('publishes signed checkpoints; inclusion and consistency proofs verify against them', async () => {
    const listing = await expectEventually(
      async () => {
        const l = await json<{ publicKey: string; items: Array<{ treeSize: number; rootHash: string; issuedAt: string; keyId: string; publicKey: string; signature: string }> }>(
          'auditor',
          '/v1/audit/checkpoints',
        );
        if (!l.items.length || l.items[0].treeSize < 25) throw new Error('no checkpoint of the whole trail yet');
        return l;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const latest = listing.items[0];
    expect(verifyCheckpointSignature(latest, listing.publicKey)).toBe(true);
    const onKafka = await readTopic(kafka, `${prefix}warden.audit.checkpoints.v1`, { until: (m) => m.some((x) => x.value.includes(latest.signature)), timeoutMs: 30_000 });
    expect(onKafka.length).toBeGreaterThan(0);

    const proof = await json<{ leafIndex: number; treeSize: number; eventHash: string; auditPath: string[]; rootHash: string }>(
      'auditor',
      // At the listed checkpoint's size: the tree may grow meanwhile (alerts and the audit's own events come back into it).
      `/v1/audit/proofs/${logins[0].eventId}?treeSize=${latest.treeSize}`,
    );
    expect(proof.treeSize).toBe(latest.treeSize);
    expect(proof.rootHash).toBe(latest.rootHash);
    expect(proof.eventHash).toBe(logins[0].hash);
    const path = proof.auditPath.map((h) => Buffer.from(h, 'hex'));
    expect(verifyInclusion(leafHash(logins[0].hash), proof.leafIndex, proof.treeSize, path, Buffer.from(latest.rootHash, 'hex'))).toBe(true);
    expect((await get('auditor', `/v1/audit/proofs/${randomUUID()}`)).status).toBe(404);

    const consistency = await json<{ fromRoot: string; toRoot: string; proof: string[] }>('auditor', `/v1/audit/consistency?from=7&to=${latest.treeSize}`);
    expect(consistency.toRoot).toBe(latest.rootHash);
    expect(
      verifyConsistency(7, latest.treeSize, Buffer.from(consistency.fromRoot, 'hex'), Buffer.from(latest.rootHash, 'hex'), consistency.proof.map((h) => Buffer.from(h, 'hex'))),
    ).toBe(true);
  });

  it("serves a user's activity to auditors and to the offboarding service", async () => {
    const activity = await json<{ summary: { logins: { count: number; distinctIps: string[]; countries: string[] }; customersViewed: { views: number; top: unknown[] }; reveals: { count: number } } }>(
      'offboarding',
      `/v1/audit/users/${leaver}/activity?days=90`,
    );
    expect(activity.summary.logins).toMatchObject({ count: 1, distinctIps: ['198.51.100.7'], countries: ['NL'] });
    expect(activity.summary.customersViewed).toMatchObject({ views: 1, top: [{ customerId: customer, views: 1 }] });
    expect(activity.summary.reveals.count).toBe(1);
    expect((await get('auditor', `/v1/audit/users/${leaver}/activity?days=0`)).status).toBe(400);
  });

  it('tells who accessed a customer', async () => {
    const res = await json<{ readers: Array<{ userId: string; views: number; reveals: number }>; exported: unknown[] }>('auditor', `/v1/audit/customers/${customer}/access`);
    expect(res.readers).toEqual([expect.objectContaining({ userId: leaver, views: 1, reveals: 1, exports: 0 })]);
    expect(res.exported).toEqual([]);
  });

  it("lists an export of a customer: for whom, by which service, when, which export and the fields in clear", async () => {
    const res = await json<{ readers: unknown[]; exported: unknown[]; items: Page['items'] }>('auditor', `/v1/audit/customers/${exportedCustomer}/access`);
    const [rows] = exportAccess;
    expect(res.exported).toEqual([
      { userId: exportRequester, by: 'system:exports', at: rows.occurredAt, exportId, fieldsInClear: ['mobile'], eventId: rows.eventId },
    ]);
    expect(res.readers).toEqual([{ userId: exportRequester, views: 0, reveals: 0, listings: 0, exports: 1, other: 0, lastAt: rows.occurredAt }]);
    // The stream's summary names no customer: only the rows event is in the customer's history.
    expect(res.items.map((i) => i.event.eventId)).toEqual([rows.eventId]);
  });

  it('exports a search as CSV and JSON, and the export itself lands in the trail', async () => {
    const csv = await get('auditor', `/v1/audit/events/export?format=csv&actor=${leaver}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('position,occurredAt,topic,type,eventId,streamId,streamVersion,actorId,actorIp,correlationId,data,hash');
    expect(lines).toHaveLength(5);
    const file = await json<{ count: number }>('officer', `/v1/audit/events/export?format=json&customer=${customer}`);
    expect(file.count).toBe(3);
    await expectEventually(
      async () => {
        const page = await json<Page>('auditor', '/v1/audit/events?type=AuditTrailExported');
        const mine = page.items.filter((i) => (i.event.data as { exportedBy: string }).exportedBy !== adminId);
        expect(mine.map((i) => (i.event.data as { format: string }).format).sort()).toEqual(['csv', 'json']);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it('reports the current month as JSON, printable HTML with SVG charts, and CSV', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const report = await json<{ logins: { succeeded: number }; reveals: { total: number }; chainVerification: { ok: boolean } | null }>('auditor', `/v1/audit/reports/${month}`);
    expect(report.logins.succeeded).toBe(1);
    expect(report.reveals.total).toBe(1);
    expect(report.chainVerification).toMatchObject({ ok: false });
    const html = await get('auditor', `/v1/audit/reports/${month}?format=html`);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('<svg');
    const csv = await get('auditor', `/v1/audit/reports/${month}?format=csv`);
    expect(await csv.text()).toContain('logins,succeeded,1');
  });

  it('fails closed: a reader whose policy cannot be read gets 503, never unmasked events', async () => {
    await abilities.stop();
    const newcomer = await issuer.issue({ roles: ['auditor'] });
    const res = await fetch(`${app.url}/v1/audit/events`, { headers: { authorization: `Bearer ${newcomer}` } });
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('198.51.100.7');
  });
});
