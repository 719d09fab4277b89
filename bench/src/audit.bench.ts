// `BENCH_ONLY=audit npm run bench`: the audit service's benchmarks, each against a baseline measured
// in the same run (see bench/README.md, "Audit"):
//   1. indexing throughput: TrailIndexer.indexBatch (one transaction per batch, as the consumer runs
//      it) vs a multi-row INSERT of the same rows in the same batches into a plain table;
//   2. verification rate over BENCH_AUDIT_EVENTS (default 1,000,000) events vs reading the same rows;
//   3. search p99 by actor at that size vs a point lookup by event id.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { eventRegistry, GENESIS_HASH, hashEvent, type EventEnvelope } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { auditMigrations } from '../../apps/audit/src/core/audit.migrations';
import { loadAuditConfig } from '../../apps/audit/src/core/config';
import { CheckpointService } from '../../apps/audit/src/checkpoints/checkpoint.service';
import { TrailIndexer } from '../../apps/audit/src/indexing/trail-indexer';
import { leafHash, nodesCompletedBy } from '../../apps/audit/src/merkle/merkle.util';
import { SearchService } from '../../apps/audit/src/search/search.service';
import { ALL_CLEAR } from '../../apps/audit/src/search/trail-masking.util';
import { TrailVerifier } from '../../apps/audit/src/verification/trail-verifier';
import { log, percentile, spread, type Spread } from './common';

const ROOT = resolve(__dirname, '../..');
const intEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

type Line = { name: string; unit: string; subject: Spread; baseline: Spread; ratio: Spread; note: string };

const TOPIC = 'warden.access.v1';
const TYPES = ['CustomerViewed', 'CustomersSearched', 'SensitiveFieldRevealed', 'LoginSucceeded'] as const;

/** Synthetic but realistic events: per-actor access streams, hash-chained, over the last 80 days. */
function* events(count: number, actors: number, startMs: number, spanMs: number): Generator<EventEnvelope> {
  const heads = new Map<string, { version: number; hash: string }>();
  for (let i = 0; i < count; i += 1) {
    const actor = `0190a0a0-0000-7000-8000-${String(i % actors).padStart(12, '0')}`;
    const streamId = `access-${actor}`;
    const head = heads.get(streamId) ?? { version: 0, hash: GENESIS_HASH };
    const type = TYPES[i % TYPES.length];
    const body = {
      eventId: uuidv7(),
      type,
      schemaVersion: 1,
      streamId,
      streamVersion: head.version + 1,
      occurredAt: new Date(startMs + Math.floor((spanMs * i) / count)).toISOString(),
      actor: { userId: actor, sessionId: randomUUID(), ip: `10.0.${(i >> 8) & 255}.${i & 255}`, userAgent: 'bench', deviceId: null },
      correlationId: randomUUID(),
      causationId: null,
      data: {
        readerId: actor,
        customerId: randomUUID(),
        fieldsInClear: [],
        fieldsMasked: ['mobile', 'email'],
        mobile: { ciphertext: 'v1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' },
      },
    };
    const hash = hashEvent(head.hash, body);
    heads.set(streamId, { version: body.streamVersion, hash });
    yield { ...body, globalPosition: i + 1, prevHash: head.hash, hash };
  }
}

const rowValues = (e: EventEnvelope, position: number) => [
  position,
  e.eventId,
  TOPIC,
  e.streamId,
  e.streamVersion,
  e.type,
  e.occurredAt,
  e.actor.userId,
  e.actor.ip,
  e.actor.userId,
  (e.data as { customerId?: string }).customerId ?? null,
  e.correlationId,
  e.hash,
  JSON.stringify(e),
];

async function openTrail() {
  const schema = uniqueName('t_bench_audit');
  const { dataSource } = await createTestSchema('bench_audit', auditMigrations(schema), schema);
  const outboxSchema = `${schema}_outbox`;
  const outbox = await createTestSchema('bench_audit_outbox', [], outboxSchema);
  const close = async () => {
    await dataSource.query(`DROP SCHEMA IF EXISTS ${quoteSchema(outboxSchema)} CASCADE`);
    await dropTestSchema(outbox.dataSource, outboxSchema);
    await dropTestSchema(dataSource, schema);
  };
  return { schema, dataSource, outboxStore: new EventStore({ dataSource, schema: outboxSchema, registry: eventRegistry }), close };
}

type IndexingSample = { subject: number; baseline: number; perRow: number };

const RAW_COLUMNS = `position, event_id, topic, stream_id, stream_version, type, occurred_at, actor_id, actor_ip, user_id, customer_id, correlation_id, hash, envelope`;

/** A multi-row INSERT of `rows` (one statement, autocommit) into `table`. */
const insertRows = (dataSource: DataSource, table: string, rows: unknown[][]) =>
  dataSource.query(
    `INSERT INTO ${table} (${RAW_COLUMNS})
     SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::timestamptz[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[])`,
    [...Array(14).keys()].map((i) => rows.map((r) => r[i])),
  );

/**
 * 1. Indexing: the consumer's transaction per batch (`TrailIndexer.indexBatch` of `batch` events:
 * lock, size, ids, partitions, heads, chain checks, rows, Merkle leaves and nodes, heads) against a
 * multi-row INSERT of the same rows in the same batches into a plain table with the trail's
 * columns and indexes. Blocks of 2,000 events alternate order; an info baseline inserts a sample
 * row by row (autocommit), the baseline the first measurement used.
 */
async function indexingRep(eventsPerRep: number, batch: number): Promise<IndexingSample> {
  const trail = await openTrail();
  const { dataSource, schema } = trail;
  try {
    const s = quoteSchema(schema);
    await dataSource.query(`CREATE TABLE ${s}.raw_trail (LIKE ${s}.trail INCLUDING DEFAULTS)`);
    await dataSource.query(`ALTER TABLE ${s}.raw_trail ADD PRIMARY KEY (position, occurred_at)`);
    for (const index of [
      `(occurred_at DESC, position DESC)`,
      `(actor_id, occurred_at DESC, position DESC)`,
      `(user_id, occurred_at DESC, position DESC) WHERE user_id IS NOT NULL`,
      `(customer_id, occurred_at DESC, position DESC) WHERE customer_id IS NOT NULL`,
      `(type, occurred_at DESC, position DESC)`,
      `(topic, occurred_at DESC, position DESC)`,
      `(correlation_id)`,
      `(actor_ip, occurred_at DESC) WHERE actor_ip IS NOT NULL`,
      `USING gin ((envelope -> 'data' -> 'customerIds') jsonb_path_ops)`,
    ]) {
      await dataSource.query(`CREATE INDEX ON ${s}.raw_trail ${index}`);
    }
    await dataSource.query(`CREATE TABLE ${s}.raw_rows (LIKE ${s}.trail INCLUDING DEFAULTS)`);
    await dataSource.query(`ALTER TABLE ${s}.raw_rows ADD PRIMARY KEY (position, occurred_at)`);
    const indexer = new TrailIndexer({ schema, outbox: trail.outboxStore });
    const all = [...events(eventsPerRep * 2, 100, Date.now() - 86_400_000, 86_400_000)];
    let subjectMs = 0;
    let baselineMs = 0;
    const block = 2000;
    for (let b = 0; b * block < eventsPerRep; b += 1) {
      const mine = all.slice(b * block * 2, b * block * 2 + block);
      const raw = all.slice(b * block * 2 + block, (b + 1) * block * 2);
      const runSubject = async () => {
        const t0 = performance.now();
        for (let i = 0; i < mine.length; i += batch) {
          const items = mine.slice(i, i + batch).map((event) => ({ topic: TOPIC, event }));
          await dataSource.transaction((manager) => indexer.indexBatch(manager, items));
        }
        subjectMs += performance.now() - t0;
      };
      const runBaseline = async () => {
        const t0 = performance.now();
        for (let i = 0; i < raw.length; i += batch) {
          await insertRows(dataSource, `${s}.raw_trail`, raw.slice(i, i + batch).map((e, j) => rowValues(e, b * block + i + j)));
        }
        baselineMs += performance.now() - t0;
      };
      if (b % 2 === 0) {
        await runSubject();
        await runBaseline();
      } else {
        await runBaseline();
        await runSubject();
      }
    }
    // Info: the same kind of rows, one autocommit INSERT each (a sample of 500).
    const sample = all.slice(0, 500);
    const t0 = performance.now();
    for (const [i, e] of sample.entries()) await insertRows(dataSource, `${s}.raw_rows`, [rowValues(e, i)]);
    const perRowMs = performance.now() - t0;
    return { subject: (eventsPerRep * 1000) / subjectMs, baseline: (eventsPerRep * 1000) / baselineMs, perRow: (sample.length * 1000) / perRowMs };
  } finally {
    await trail.close();
  }
}

/** Bulk-loads `count` events straight into the trail and its tree (as the indexer would have). */
async function seedLarge(dataSource: DataSource, schema: string, count: number, actors: number): Promise<void> {
  const s = quoteSchema(schema);
  const now = Date.now();
  const span = 80 * 86_400_000;
  for (let m = -3; m <= 1; m += 1) {
    const d = new Date(now);
    await dataSource.query(`SELECT ${s}.ensure_trail_partition($1::date)`, [
      new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + m, 1)).toISOString().slice(0, 10),
    ]);
  }
  const frontier: Buffer[] = [];
  const batch = 5000;
  let rows: unknown[][] = [];
  let nodes: Array<{ level: number; index: number; hash: Buffer }> = [];
  let position = 0;
  const flush = async () => {
    if (!rows.length) return;
    const col = (i: number) => rows.map((r) => r[i]);
    await dataSource.query(
      `INSERT INTO ${s}.trail (position, event_id, topic, stream_id, stream_version, type, occurred_at, actor_id, actor_ip, user_id,
         customer_id, correlation_id, hash, envelope)
       SELECT p, e, t, si, sv, ty, o, a, ip, u, c, co, h, env::jsonb FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[],
         $5::int[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
         AS x(p, e, t, si, sv, ty, o, a, ip, u, c, co, h, env)`,
      [...Array(14).keys()].map(col),
    );
    await dataSource.query(
      `INSERT INTO ${s}.trail_ids (event_id, position, occurred_at, topic) SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[])`,
      [col(1), col(0), col(6), col(2)],
    );
    await dataSource.query(`INSERT INTO ${s}.merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`, [
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => n.hash),
    ]);
    rows = [];
    nodes = [];
  };
  for (const e of events(count, actors, now - span, span)) {
    rows.push(rowValues(e, position));
    const completed = nodesCompletedBy(position, leafHash(e.hash), (level) => frontier[level]);
    for (const n of completed) frontier[n.level] = n.hash;
    nodes.push(...completed);
    position += 1;
    if (rows.length >= batch) await flush();
    if (position % 100_000 === 0) log(`audit: seeded ${position} of ${count} events`);
  }
  await flush();
  await dataSource.query(`ANALYZE ${s}.trail`);
}

/** The same rows, read in the same batches, parsed, and nothing checked. */
async function readAll(dataSource: DataSource, schema: string, count: number, batch = 5000): Promise<number> {
  const s = quoteSchema(schema);
  let read = 0;
  for (let from = 0; from < count; from += batch) {
    const rows: Array<{ envelope: string }> = await dataSource.query(
      `SELECT position, event_id, topic, stream_id, stream_version, hash, envelope::text AS envelope
       FROM ${s}.trail WHERE position >= $1 AND position < $2 ORDER BY position, occurred_at`,
      [from, from + batch],
    );
    await dataSource.query(`SELECT idx, hash FROM ${s}.merkle_nodes WHERE level = 0 AND idx >= $1 AND idx < $2`, [from, from + batch]);
    for (const r of rows) JSON.parse(r.envelope);
    read += rows.length;
  }
  return read;
}

export async function runAuditBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 3);
  const indexEvents = intEnv('BENCH_AUDIT_INDEX_EVENTS', 20_000);
  const indexBatch = intEnv('BENCH_AUDIT_INDEX_BATCH', 500);
  const large = intEnv('BENCH_AUDIT_EVENTS', 1_000_000);
  const actors = intEnv('BENCH_AUDIT_ACTORS', 1000);
  const searches = intEnv('BENCH_AUDIT_SEARCHES', 300);
  const startedAt = new Date();
  const load = loadavg();
  log(`audit: runs ${runs}; indexing ${indexEvents} ev/rep; verification and search over ${large} events, ${actors} actors`);

  const idx: IndexingSample[] = [];
  for (let rep = 0; rep < runs; rep += 1) {
    idx.push(await indexingRep(indexEvents, indexBatch));
    log(
      `audit: indexing rep ${rep + 1}: ${idx[rep].subject.toFixed(0)} ev/s vs raw batches ${idx[rep].baseline.toFixed(0)} ev/s (row by row ${idx[rep].perRow.toFixed(0)} ev/s)`,
    );
  }

  const trail = await openTrail();
  const verify: Array<{ subject: number; baseline: number }> = [];
  const verifyWorkers: Array<{ subject: number; baseline: number }> = [];
  const search: Array<{ subject: number; baseline: number }> = [];
  try {
    const t0 = performance.now();
    await seedLarge(trail.dataSource, trail.schema, large, actors);
    log(`audit: seeded ${large} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const config = loadAuditConfig({ AUDIT_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64'), AUDIT_DB_SCHEMA: trail.schema });
    const checkpoints = new CheckpointService(config, trail.dataSource, trail.outboxStore);
    await checkpoints.checkpointIfGrown();
    const trusted = checkpoints.signer.publicKeyBase64;
    // The verifier as the app runs it by default (main thread), and with worker threads rehashing (AUDIT_VERIFY_WORKERS).
    const verifier = new TrailVerifier({ dataSource: trail.dataSource, schema: trail.schema, trustedPublicKey: trusted });
    const workers = Math.max(1, availableParallelism() - 1);
    const withWorkers = new TrailVerifier({ dataSource: trail.dataSource, schema: trail.schema, trustedPublicKey: trusted, workers });
    const rate = async (v: TrailVerifier) => {
      const a = performance.now();
      const result = await v.verify();
      const seconds = (performance.now() - a) / 1000;
      if (!result.ok || result.eventsChecked !== large) throw new Error(`verification of the bench trail failed: ${JSON.stringify(result.problems.slice(0, 3))}`);
      return large / seconds;
    };
    const readRate = async () => {
      const b = performance.now();
      await readAll(trail.dataSource, trail.schema, large);
      return large / ((performance.now() - b) / 1000);
    };
    for (let rep = 0; rep < runs; rep += 1) {
      // The order rotates each repetition, so that a change in machine load hits each alike.
      const order = [0, 1, 2].map((i) => (i + rep) % 3);
      const got: number[] = [];
      for (const which of order) got[which] = await (which === 0 ? rate(verifier) : which === 1 ? rate(withWorkers) : readRate());
      verify.push({ subject: got[0], baseline: got[2] });
      verifyWorkers.push({ subject: got[1], baseline: got[2] });
      log(`audit: verification rep ${rep + 1}: ${got[0].toFixed(0)} ev/s (${workers} worker thread(s): ${got[1].toFixed(0)}) vs read ${got[2].toFixed(0)} ev/s`);
    }
    const service = new SearchService(config, trail.dataSource, new EventStore({ dataSource: trail.dataSource, schema: trail.schema, registry: eventRegistry }));
    const ids: Array<{ event_id: string }> = await trail.dataSource.query(`SELECT event_id FROM ${quoteSchema(trail.schema)}.trail_ids ORDER BY random() LIMIT $1`, [searches]);
    for (let rep = 0; rep < runs; rep += 1) {
      const bySearch: number[] = [];
      const byLookup: number[] = [];
      for (let i = 0; i < searches; i += 1) {
        const actor = `0190a0a0-0000-7000-8000-${String(Math.floor(Math.random() * actors)).padStart(12, '0')}`;
        const a = performance.now();
        const page = await service.search({ actor, limit: 50 }, ALL_CLEAR);
        bySearch.push(performance.now() - a);
        if (page.items.length === 0) throw new Error('a search by actor found nothing');
        const b = performance.now();
        await trail.dataSource.query(`SELECT envelope FROM ${quoteSchema(trail.schema)}.trail t JOIN ${quoteSchema(trail.schema)}.trail_ids i USING (position) WHERE i.event_id = $1`, [
          ids[i % ids.length].event_id,
        ]);
        byLookup.push(performance.now() - b);
      }
      const p99 = (v: number[]) => percentile([...v].sort((x, y) => x - y), 99);
      search.push({ subject: p99(bySearch), baseline: p99(byLookup) });
      log(`audit: search rep ${rep + 1}: p99 ${p99(bySearch).toFixed(1)} ms vs lookup ${p99(byLookup).toFixed(1)} ms`);
    }
  } finally {
    await trail.close();
  }

  const line = (name: string, unit: string, samples: Array<{ subject: number; baseline: number }>, note: string): Line => ({
    name,
    unit,
    subject: spread(samples.map((x) => x.subject)),
    baseline: spread(samples.map((x) => x.baseline)),
    ratio: spread(samples.map((x) => x.subject / x.baseline)),
    note,
  });
  const lines = [
    line(
      `Indexing (${indexEvents} ev, batches of ${indexBatch}) vs raw multi-row INSERT`,
      'ev/s',
      idx,
      'report: the consumer\'s transaction per batch (lock, ids, chain checks, rows, Merkle nodes, heads) vs the same rows, same batches, same indexes',
    ),
    line(
      `Indexing (batches of ${indexBatch}) vs row-by-row INSERT`,
      'ev/s',
      idx.map((x) => ({ subject: x.subject, baseline: x.perRow })),
      'info: the baseline of the first measurement (one autocommit INSERT per row, primary key only)',
    ),
    line(`Verification of ${large} events vs reading them`, 'ev/s', verify, 'goal ≥ 0.5×: full recheck (hashes, chains, leaves, every checkpoint root and signature), next batch read ahead'),
    line(`Verification of ${large} events, worker threads, vs reading them`, 'ev/s', verifyWorkers, 'info: the same recheck with events rehashed on cores − 1 worker threads (AUDIT_VERIFY_WORKERS)'),
    line(`Search by actor, p99, at ${large} events vs point lookup`, 'ms', search, 'report: 50 newest events of a random actor'),
  ];
  const fmt = (s: Spread, digits: number) => `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
  const table = [
    '| Measurement | Unit | Subject median [min–max] | Baseline median [min–max] | Ratio | Note |',
    '| --- | --- | --- | --- | --- | --- |',
    ...lines.map((l) => `| ${l.name} | ${l.unit} | ${fmt(l.subject, l.unit === 'ms' ? 1 : 0)} | ${fmt(l.baseline, l.unit === 'ms' ? 1 : 0)} | ${l.ratio.median.toFixed(2)}× | ${l.note} |`),
    '',
    `load average: start ${load.map((x) => x.toFixed(2)).join(' ')}; end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-audit-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt, config: { runs, indexEvents, indexBatch, large, actors, searches }, lines, idx, verify, verifyWorkers, search }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}
