import { randomBytes } from 'node:crypto';
import { type EventEnvelope } from '@warden/contracts';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { loadAuditConfig } from '../core/config';
import { openTestTrail } from '../test/test-trail';
import { chainOf, reseal } from '../test/trail-fixtures';
import type { VerificationResult } from '../verification/trail-verifier';

const TOPIC = 'warden.customer-records.events.v1';
const trail = () => openTestTrail(TOPIC);

type Trail = Awaited<ReturnType<typeof trail>>;

/** Three interleaved streams of 5 events each, indexed and checkpointed. */
async function seeded(t: Trail) {
  const a = chainOf('customer-a', Array.from({ length: 5 }, (_, i) => ({ type: 'CustomerUpdated', data: { i } })));
  const b = chainOf('customer-b', Array.from({ length: 5 }, (_, i) => ({ type: 'CustomerUpdated', data: { i } })));
  const c = chainOf('customer-c', Array.from({ length: 5 }, (_, i) => ({ type: 'CustomerUpdated', data: { i } })));
  const all = a.flatMap((e, i) => [e, b[i], c[i]]);
  await t.index(all);
  await t.checkpoints.checkpointIfGrown();
  const position = (e: EventEnvelope) => all.indexOf(e);
  return { a, b, c, all, position };
}

const problemAt = (result: VerificationResult, eventId: string) => result.problems.filter((p) => p.eventId === eventId);

describe('audit trail integrity (Postgres)', () => {
  let t: Trail;
  beforeEach(async () => {
    t = await trail();
  });
  afterEach(async () => {
    await t.close();
  });

  it('an intact trail verifies, and each event is indexed once by event id', async () => {
    const { all } = await seeded(t);
    const again = await t.index(all.slice(0, 3));
    expect(again.every((o) => o.duplicate)).toBe(true);
    const result = await t.verifier.verify();
    expect(result).toMatchObject({ ok: true, treeSize: 15, eventsChecked: 15, checkpointsChecked: 1, problemCount: 0 });
    expect(result.lastCheckpoint).toMatchObject({ treeSize: 15, signatureValid: true, rootMatches: true });
  });

  it('stores events of unknown types as received', async () => {
    const [unknown] = chainOf('future-1', [{ type: 'SomethingFromTheFuture', schemaVersion: 7, data: { nested: { x: [1, 'two'] } } }]);
    await t.index([unknown]);
    const rows: Array<{ envelope: EventEnvelope }> = await t.dataSource.query(`SELECT envelope FROM "${t.schema}".trail`);
    expect(rows[0].envelope).toEqual(unknown);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the trail and the tree', async () => {
    await seeded(t);
    for (const sql of [
      `UPDATE "${t.schema}".trail SET actor_id = 'x'`,
      `DELETE FROM "${t.schema}".trail`,
      `TRUNCATE "${t.schema}".trail`,
      `UPDATE "${t.schema}".merkle_nodes SET idx = idx`,
      `DELETE FROM "${t.schema}".trail_ids`,
      `DELETE FROM "${t.schema}".checkpoints`,
    ]) {
      await expect(t.dataSource.query(sql)).rejects.toThrow(/append-only/);
    }
    const partitions: Array<{ relname: string }> = await t.dataSource.query(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'trail'`,
      [t.schema],
    );
    for (const { relname } of partitions) {
      await expect(t.dataSource.query(`TRUNCATE "${t.schema}"."${relname}"`)).rejects.toThrow(/append-only/);
      await expect(t.dataSource.query(`DELETE FROM "${t.schema}"."${relname}"`)).rejects.toThrow(/append-only/);
    }
  });

  it('names an event altered in Postgres (content changed, hash kept)', async () => {
    const { b, position } = await seeded(t);
    const target = b[2];
    await t.tamper(`UPDATE $S.trail SET envelope = jsonb_set(envelope, '{data,i}', '99') WHERE event_id = $1`, [target.eventId]);
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    expect(problemAt(result, target.eventId)).toEqual([
      expect.objectContaining({ kind: 'altered', position: position(target), streamId: 'customer-b', streamVersion: 3 }),
    ]);
  });

  it('names an event altered and re-hashed along its whole stream (caught by the Merkle leaves and the checkpoint)', async () => {
    const { c, position } = await seeded(t);
    // A forger rewrites customer-c from version 2 on, with valid hashes all along the chain.
    let prev = c[0];
    for (const e of c.slice(1)) {
      const forged = reseal(e, { prevHash: prev.hash, data: e.streamVersion === 2 ? { i: 'forged' } : e.data });
      await t.tamper(`UPDATE $S.trail SET envelope = $2::jsonb, hash = $3 WHERE event_id = $1`, [e.eventId, JSON.stringify(forged), forged.hash]);
      prev = forged;
    }
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    const first = problemAt(result, c[1].eventId);
    expect(first[0]).toMatchObject({ kind: 'altered', position: position(c[1]), streamVersion: 2 });
    expect(result.lastCheckpoint).toMatchObject({ signatureValid: true, rootMatches: false });
  });

  it('names an event removed from Postgres', async () => {
    const { a, position } = await seeded(t);
    const target = a[1];
    await t.tamper(`DELETE FROM $S.trail WHERE event_id = $1`, [target.eventId]);
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    expect(problemAt(result, target.eventId)).toEqual([expect.objectContaining({ kind: 'removed', position: position(target) })]);
    // The next event of the stream names the gap too.
    expect(problemAt(result, a[2].eventId)).toEqual([expect.objectContaining({ kind: 'removed', streamVersion: 3 })]);
  });

  it('names an event inserted into Postgres', async () => {
    const { b } = await seeded(t);
    const forged = reseal({ ...b[2], eventId: '019a0000-0000-7000-8000-000000000001' }, { data: { i: 'inserted' } });
    await t.tamper(
      `INSERT INTO $S.trail (position, event_id, topic, stream_id, stream_version, type, occurred_at, actor_id, correlation_id, hash, envelope)
       VALUES (15, $1, $2, $3, $4, $5, $6, 'system:test', 'x', $7, $8::jsonb)`,
      [forged.eventId, TOPIC, forged.streamId, forged.streamVersion, forged.type, forged.occurredAt, forged.hash, JSON.stringify(forged)],
    );
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    expect(problemAt(result, forged.eventId)).toEqual([expect.objectContaining({ kind: 'inserted', position: 15, streamId: 'customer-b', streamVersion: 3 })]);
  });

  it('names events reordered in Postgres', async () => {
    const { a, position } = await seeded(t);
    const [x, y] = [a[1], a[3]];
    await t.tamper(`UPDATE $S.trail SET position = -1 WHERE event_id = $1`, [x.eventId]);
    await t.tamper(`UPDATE $S.trail SET position = $2 WHERE event_id = $1`, [y.eventId, position(x)]);
    await t.tamper(`UPDATE $S.trail SET position = $2 WHERE event_id = $1`, [x.eventId, position(y)]);
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    expect(problemAt(result, y.eventId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ position: position(x), detail: expect.stringContaining('Merkle leaf') })]),
    );
    expect(problemAt(result, x.eventId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'reordered', position: position(y), streamVersion: 2 })]),
    );
  });

  it("stores each event's source and source position: gaps are no problem, one position twice in a source is", async () => {
    const spaced = (events: EventEnvelope[], from: number) => events.map((e, i) => ({ ...e, globalPosition: from + i * 17 }));
    const x = spaced(chainOf('customer-x', [1, 2, 3].map((i) => ({ type: 'CustomerUpdated', data: { i } }))), 1000);
    const y = spaced(chainOf('customer-y', [1, 2].map((i) => ({ type: 'CustomerUpdated', data: { i } }))), 1005);
    await t.index([x[0], y[0], x[1], y[1], x[2]]);
    expect(await t.verifier.verify()).toMatchObject({ ok: true, eventsChecked: 5, problems: [] });

    // A read event at source position 1000 too: another topic, but the same source (customer-records' store).
    const [read] = spaced(chainOf('access-u-1', [{ type: 'CustomerViewed', data: {} }]), 1000);
    await t.index([read], 'warden.access.v1');
    const rows: Array<{ event_id: string; source: string; source_position: string }> = await t.dataSource.query(
      `SELECT event_id, source, source_position FROM "${t.schema}".trail ORDER BY position`,
    );
    expect(rows).toEqual(
      [x[0], y[0], x[1], y[1], x[2], read].map((e) => ({ event_id: e.eventId, source: 'customer-records', source_position: String(e.globalPosition) })),
    );
    const result = await t.verifier.verify();
    expect(result.problems).toEqual([
      expect.objectContaining({ kind: 'source-duplicated', eventId: x[0].eventId, position: 0, sourcePosition: 1000, detail: expect.stringContaining('audit positions 0, 5') }),
      expect.objectContaining({ kind: 'source-duplicated', eventId: read.eventId, position: 5, sourcePosition: 1000, source: 'customer-records' }),
    ]);
  });

  it("names the events of a stream whose source positions were swapped in Postgres (the hash does not cover them)", async () => {
    const { a, position } = await seeded(t);
    const [x, y] = [a[1], a[2]];
    // A careful forger: column and envelope both, so nothing but the order gives it away.
    for (const [e, to] of [
      [x, y.globalPosition],
      [y, x.globalPosition],
    ] as const) {
      await t.tamper(`UPDATE $S.trail SET source_position = $2, envelope = jsonb_set(envelope, '{globalPosition}', to_jsonb($2::bigint)) WHERE event_id = $1`, [e.eventId, to]);
    }
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        kind: 'source-reordered',
        position: position(y),
        eventId: y.eventId,
        topic: TOPIC,
        streamId: 'customer-a',
        streamVersion: 3,
        source: 'customer-records',
        sourcePosition: x.globalPosition,
        detail: `customer-records: version 3 is at source position ${x.globalPosition}, not after version 2 at source position ${y.globalPosition}`,
      },
    ]);
  });

  it('names both events when a source position is duplicated in Postgres', async () => {
    const { b, c, position } = await seeded(t);
    // b's last version takes c's first source position (still after b's own previous one: only the duplicate shows).
    await t.tamper(`UPDATE $S.trail SET source_position = $2, envelope = jsonb_set(envelope, '{globalPosition}', to_jsonb($2::bigint)) WHERE event_id = $1`, [
      b[4].eventId,
      c[0].globalPosition,
    ]);
    const result = await t.verifier.verify();
    expect(result.ok).toBe(false);
    const [first, second] = [c[0], b[4]].sort((p, q) => position(p) - position(q));
    const positions = `${position(first)}, ${position(second)}`;
    expect(result.problems).toEqual(
      [first, second].map((e) => ({
        kind: 'source-duplicated',
        position: position(e),
        eventId: e.eventId,
        topic: TOPIC,
        streamId: e.streamId,
        streamVersion: e.streamVersion,
        source: 'customer-records',
        sourcePosition: c[0].globalPosition,
        detail: `customer-records: source position ${c[0].globalPosition} is held by the events at audit positions ${positions}`,
      })),
    );
  });

  it('names an event whose source position column no longer matches its envelope', async () => {
    const { c, position } = await seeded(t);
    await t.tamper(`UPDATE $S.trail SET source_position = source_position + 100000 WHERE event_id = $1`, [c[4].eventId]);
    const result = await t.verifier.verify();
    expect(problemAt(result, c[4].eventId)).toEqual([
      expect.objectContaining({ kind: 'altered', position: position(c[4]), detail: 'the indexed columns do not match the stored envelope' }),
    ]);
  });

  it('a broken link on arrival is recorded and raised as a critical alert in the outbox', async () => {
    const [one, two, three] = chainOf('customer-z', [{ type: 'A', data: {} }, { type: 'B', data: {} }, { type: 'C', data: {} }]);
    const outcomes = await t.index([one, three]);
    expect(outcomes[1]).toMatchObject({ duplicate: false, position: 1, break: { kind: 'removed' } });
    void two;
    const breaks: Array<{ event_id: string; position: string; reason: string }> = await t.dataSource.query(
      `SELECT event_id, position, reason FROM "${t.schema}".chain_breaks`,
    );
    expect(breaks).toEqual([{ event_id: three.eventId, position: '1', reason: expect.stringMatching(/^removed: expected stream version 2, found 3/) }]);
    const alerts: Array<{ type: string; data: Record<string, unknown> }> = await t.dataSource.query(
      `SELECT type, data FROM "${t.outboxSchema}".events`,
    );
    expect(alerts).toEqual([
      {
        type: 'AlertRaised',
        data: expect.objectContaining({ rule: 'audit-chain-broken', severity: 'critical', evidence: [three.eventId], userId: null }),
      },
    ]);
  });

  it('retention drops whole months past the horizon; verification counts them as expired, not removed', async () => {
    const old = chainOf('customer-old', [
      { type: 'A', data: {}, occurredAt: '2020-01-10T00:00:00.000Z' },
      { type: 'B', data: {}, occurredAt: '2020-01-11T00:00:00.000Z' },
    ]);
    const recent = chainOf('customer-old', [{ type: 'C', data: {}, occurredAt: new Date().toISOString() }], { version: 2, hash: old[1].hash });
    await t.index([...old, ...recent]);
    await t.checkpoints.checkpointIfGrown();
    const { TrailMaintenance } = await import('./trail-maintenance.service');
    const maintenance = new TrailMaintenance(loadAuditConfig({ AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'), AUDIT_DB_SCHEMA: t.schema }), t.dataSource, t.indexer);
    const { dropped } = await maintenance.run();
    expect(dropped).toEqual(['trail_2020_01']);
    const result = await t.verifier.verify();
    expect(result).toMatchObject({ ok: true, expired: 2, eventsChecked: 1, treeSize: 3 });
  });

  it('npm run audit:verify exits 0 on an intact trail and 1 naming the altered event', async () => {
    const { b } = await seeded(t);
    const run = () =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/audit/src/verify-trail.ts'], {
        cwd: resolve(__dirname, '../../../..'),
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          SWC_NODE_PROJECT: 'tsconfig.base.json',
          AUDIT_DB_SCHEMA: t.schema,
          AUDIT_SIGNING_KEY: t.signingKey,
        },
        encoding: 'utf8',
      });
    const intact = run();
    expect(intact.status).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, eventsChecked: 15 });
    await t.tamper(`UPDATE $S.trail SET envelope = jsonb_set(envelope, '{actor,userId}', '"someone-else"') WHERE event_id = $1`, [b[4].eventId]);
    const broken = run();
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.stdout).problems).toEqual([expect.objectContaining({ kind: 'altered', eventId: b[4].eventId, streamVersion: 5 })]);
    expect(broken.stderr).toContain('PROBLEM');
  });
});
