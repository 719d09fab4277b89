// `BENCH_ONLY=customers npm run bench`: customer-records read and import benchmarks, each against a
// baseline measured in the same run (medians over BENCH_RUNS repetitions). See bench/README.md.
//   1. GET /v1/customers/:id p99 at 100k customers (policy, SQL filter, decryption, masking, access
//      event committed) vs the same SELECT in raw SQL;
//   2. GET /v1/customers?limit=50 p99 vs the same list SELECT in raw SQL;
//   3. bulk import rows/s (POST /v1/customers/import, CSV) vs raw COPY of the same rows (psql \copy);
//   4. read model rebuild (npm run customers:rebuild) events/s from an event store of BENCH_CUSTOMERS
//      customers vs a raw SELECT scan of the same events.
// BENCH_CUSTOMERS_PARTS (read,import,rebuild; default all) picks some of them.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { eventRegistry, GENESIS_HASH, hashEvent } from '@warden/contracts';
import { BlindIndexer, encryptField, FieldCipher, generateDataKey, StaticKeyProvider } from '@warden/crypto';
import { compileAbility, DEFAULT_ROLES_BY_NAME, PolicyClient } from '@warden/security';
import {
  connectTestSchema,
  createTestSchema,
  dropTestSchema,
  freePort,
  launchApp,
  testEnv,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import Redis from 'ioredis';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { customerConsentsMigrations } from '../../apps/customer-records/src/consents/customer-consents.projection';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from '../../apps/customer-records/src/crypto/postgres-data-key-store';
import { customerReadIndexMigrations } from '../../apps/customer-records/src/customer/customer-read-indexes.migrations';
import { customerReadModelMigrations } from '../../apps/customer-records/src/customer/projections/customer-read-model.projection';
import { customerImportMigrations } from '../../apps/customer-records/src/import/customer-import.migrations';
import { customerNotesMigrations } from '../../apps/customer-records/src/notes/customer-notes.projection';
import { ReadModelRebuilder } from '../../apps/customer-records/src/rebuild/read-model-rebuild.service';
import { readModelProjections } from '../../apps/customer-records/src/rebuild/read-model.projections';
import { customerTransactionsMigrations } from '../../apps/customer-records/src/transactions/customer-transactions.projection';
import { customerTransfersMigrations } from '../../apps/customer-records/src/transfer/transfer.projection';
import { buildApps } from '../../tools/build/build.mjs';
import { log, percentile, spread, type Spread } from './common';
import { request } from './http-client';

const ROOT = resolve(__dirname, '../..');
const intEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

type Line = { name: string; unit: string; subject: Spread; baseline: Spread; ratio: Spread; goal: string; pass: boolean | null };

type Stack = { app: LaunchedApp; issuer: TestTokenIssuer; schema: string; token: string; ownerId: string; ids: string[]; build: string };

/**
 * The app with its own schema, compiled by the production build and run as production runs it; the
 * owner's compiled ability is put in Redis as the authorization service would.
 */
async function launchStack(customers: number, withSensitive: number): Promise<Stack> {
  const env = testEnv();
  // BENCH_FROM_SOURCE=1: the app from its TypeScript source (swc-node), as `npm start` runs it.
  const fromSource = process.env.BENCH_FROM_SOURCE === '1';
  const build = await mkdtemp(join(tmpdir(), 'warden-customers-build-'));
  if (!fromSource) await buildApps({ out: build, apps: ['customer-records'], sourceMaps: false });
  const schema = uniqueName('t_bench_customers');
  const port = await freePort();
  const issuer = await TestTokenIssuer.start();
  const ownerId = randomUUID();
  const team = `team-bench-${randomUUID()}`;
  const redis = new Redis(env.redisUrl);
  const compiled = compileAbility({
    user: { userId: ownerId, roles: ['staff'], teamIds: [team], clearance: 'confidential', status: 'active' },
    roles: DEFAULT_ROLES_BY_NAME,
    grants: [],
    now: new Date(),
    policyVersion: 0,
  });
  await redis.set(PolicyClient.abilityKey(ownerId, 0), JSON.stringify(compiled), 'EX', 3600);
  redis.disconnect();
  const app = await launchApp('customer-records', {
    port,
    ...(fromSource ? {} : { build }),
    readyTimeoutMs: 120_000,
    env: {
      CUSTOMER_RECORDS_PORT: String(port),
      CUSTOMER_RECORDS_DB_SCHEMA: schema,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('bench-customers'),
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTHORIZATION_URL: 'http://127.0.0.1:9',
      WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
      CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'error',
      // BENCH_CPU_PROF=<dir>: the app writes a V8 CPU profile there when it stops.
      ...(process.env.BENCH_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` } : {}),
    },
  });
  const token = await issuer.issue({ userId: ownerId, roles: ['staff'] });
  const ids: string[] = [];
  log(`customers: registering ${withSensitive} customers with sensitive fields through the API`);
  for (let i = 0; i < withSensitive; i++) {
    const res = await fetch(`${app.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `Bench Customer ${i}`,
        teamId: team,
        mobile: `139${String(i).padStart(8, '0')}`,
        email: `bench${i}@example.org`,
        nationalId: `1101011990${String(i).padStart(8, '0')}`,
        address: `${i} Bench Road, Springfield`,
      }),
    });
    if (res.status !== 201) throw new Error(`register answered ${res.status}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  log(`customers: seeding ${customers - withSensitive} more rows in the read model (other owners, and 5% the owner's)`);
  const db = await connectTestSchema(schema, 'bench-customers');
  await db.query(
    `INSERT INTO "${schema}".customers (id, name, company, tags, classification, owner_id, team_id, status, version, created_at, updated_at)
     SELECT gen_random_uuid(), 'Seeded ' || g, 'Seed Co', ARRAY['seed'], 'internal',
       CASE WHEN g % 20 = 0 THEN $1 ELSE 'other-' || (g % 500) END, $2, 'active', 1, now(), now()
     FROM generate_series(1, $3::int) AS g`,
    [ownerId, team, customers - withSensitive],
  );
  // The seeding's after-effects (autovacuum of 100k fresh rows, a checkpoint writing their pages)
  // are done before any measurement, not during its first repetition.
  await db.query(`VACUUM ANALYZE "${schema}".customers`);
  await db.query('CHECKPOINT');
  await db.destroy();
  return { app, issuer, schema, token, ownerId, ids, build };
}

/** Latencies (ms) of `n` sequential calls. */
async function timed(n: number, call: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    out.push(performance.now() - t);
  }
  return out;
}

async function httpGet(url: string, token: string): Promise<void> {
  const res = await request(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
}

/** The CSV of `rows` import rows, and the same rows as COPY text for the baseline. */
function importRows(rows: number, tag: string, team: string): { csv: string; copy: string } {
  const csv = ['name,company,tags,classification,teamId,mobile,email,nationalId,address'];
  const copy: string[] = [];
  for (let i = 0; i < rows; i++) {
    const cells = [`Import ${tag} ${i}`, `Co ${i}`, tag, 'internal', team, `137${String(i).padStart(8, '0')}`, `imp${i}@example.org`, `3201011990${String(i).padStart(8, '0')}`, `${i} Import Street`];
    csv.push(cells.join(','));
    copy.push([randomUUID(), ...cells].join(','));
  }
  return { csv: `${csv.join('\n')}\n`, copy: `${copy.join('\n')}\n` };
}

async function importRate(stack: Stack, csv: string, rows: number): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${stack.app.url}/v1/customers/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (res.status !== 202) throw new Error(`import answered ${res.status}`);
  const { importId } = (await res.json()) as { importId: string };
  for (;;) {
    const p = (await (await fetch(`${stack.app.url}/v1/customers/imports/${importId}`, { headers: { authorization: `Bearer ${stack.token}` } })).json()) as {
      status: string;
      rowsDone: number;
    };
    if (p.status !== 'running') {
      if (p.rowsDone !== rows) throw new Error(`import ${p.status} with ${p.rowsDone}/${rows} rows`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return rows / ((performance.now() - t) / 1000);
}

/** Raw COPY of the same rows into a plain table with the import's columns (psql \copy from stdin). */
async function copyRate(databaseUrl: string, schema: string, copy: string, rows: number): Promise<number> {
  const table = `"${schema}".bench_copy_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(
    `CREATE TABLE ${table} (id uuid PRIMARY KEY, name text, company text, tags text, classification text, team_id text,
       mobile text, email text, national_id text, address text)`,
  );
  const t = performance.now();
  await new Promise<void>((done, fail) => {
    const psql = spawn('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy ${table} FROM STDIN WITH (FORMAT csv)`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    psql.stderr.on('data', (c: Buffer) => (err += c.toString()));
    psql.on('error', fail);
    psql.on('exit', (code) => (code === 0 ? done() : fail(new Error(`psql \\copy failed: ${err}`))));
    psql.stdin.end(copy);
  });
  const rate = rows / ((performance.now() - t) / 1000);
  await client.query(`DROP TABLE ${table}`);
  await client.end();
  return rate;
}


/** customer-records' migrations, as its app module lists them. */
const customerRecordsMigrations = (schema: string) => [
  ...customerReadModelMigrations(schema),
  ...dataKeyStoreMigrations(schema),
  ...customerReadIndexMigrations(schema),
  ...customerImportMigrations(schema),
  ...customerNotesMigrations(schema),
  ...customerTransactionsMigrations(schema),
  ...customerConsentsMigrations(schema),
  ...customerTransfersMigrations(schema),
];

type SeedEvent = { streamId: string; version: number; type: string; schemaVersion: number; data: Record<string, unknown> };

/**
 * An event store as the service leaves it after `customers` registrations (v3: name, mobile and
 * email encrypted under each customer's data key, blind indexes), a note on every 10th customer and
 * an erasure (key shredded) of every 50th: stored by SQL in batches, hash-chained like the store's.
 * Returns the number of events.
 */
async function seedRebuildEvents(client: pg.Client, schema: string, customers: number, keyring: string): Promise<number> {
  const provider = StaticKeyProvider.fromKeyring(keyring);
  const indexer = BlindIndexer.fromBase64(randomBytes(32).toString('base64'));
  const s = `"${schema}"`;
  const actor = JSON.stringify({ userId: 'bench-owner', sessionId: null, ip: null, userAgent: null, deviceId: null });
  let total = 0;
  for (let from = 0; from < customers; from += 2000) {
    const events: SeedEvent[] = [];
    const keys: Array<[string, number, string]> = [];
    for (let i = from; i < Math.min(customers, from + 2000); i++) {
      const customerId = uuidv7();
      const key = generateDataKey();
      const enc = (field: string, value: string) => encryptField(key, value, { subjectId: customerId, field });
      const mobile = `135${String(i).padStart(8, '0')}`;
      const email = `rebuild${i}@example.org`;
      const streamId = `customer-${customerId}`;
      events.push({
        streamId, version: 1, type: 'CustomerRegistered', schemaVersion: 3,
        data: {
          customerId, tags: ['bench'], classification: 'internal', ownerId: `owner-${i % 500}`, teamId: `team-${i % 20}`,
          sensitive: {
            name: { ciphertext: enc('name', `Rebuild Customer ${i}`) },
            mobile: { ciphertext: enc('mobile', mobile), index: indexer.index('phone', mobile) },
            email: { ciphertext: enc('email', email), index: indexer.index('email', email) },
          },
        },
      });
      let version = 1;
      if (i % 10 === 0) {
        const noteId = uuidv7();
        events.push({ streamId, version: ++version, type: 'CustomerNoteAdded', schemaVersion: 1, data: { customerId, noteId, body: { ciphertext: enc(`notes:${noteId}`, `note ${i}`) } } });
      }
      if (i % 50 === 1) {
        events.push({ streamId, version: ++version, type: 'CustomerErased', schemaVersion: 1, data: { customerId, legalBasis: 'subject-request', reason: 'bench' } });
      } else {
        const wrapped = await provider.wrap(key);
        keys.push([customerId, wrapped.kekVersion, wrapped.ciphertext]);
      }
      key.fill(0);
    }
    const occurredAt = new Date().toISOString();
    let prev = GENESIS_HASH;
    const rows = events.map((e) => {
      if (e.version === 1) prev = GENESIS_HASH;
      const body = { eventId: uuidv7(), type: e.type, schemaVersion: e.schemaVersion, streamId: e.streamId, streamVersion: e.version, occurredAt, actor: JSON.parse(actor), correlationId: 'bench-seed', causationId: null, data: e.data };
      const hash = hashEvent(prev, body);
      const row = { ...body, prevHash: prev, hash };
      prev = hash;
      return row;
    });
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await client.query(
      `INSERT INTO ${s}.events (event_id, stream_id, stream_version, type, schema_version, occurred_at, actor, correlation_id,
         causation_id, data, prev_hash, hash)
       SELECT e.id, e.sid, e.v, e.t, e.sv, e.at, e.actor::jsonb, e.corr, NULL, e.data::jsonb, e.prev, e.hash
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::timestamptz[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[]) WITH ORDINALITY AS e(id, sid, v, t, sv, at, actor, corr, data, prev, hash, ord)
       ORDER BY e.ord`,
      [col('eventId'), col('streamId'), col('streamVersion'), col('type'), col('schemaVersion'), col('occurredAt'),
        rows.map(() => actor), col('correlationId'), rows.map((r) => JSON.stringify(r.data)), col('prevHash'), col('hash')],
    );
    await client.query(
      `INSERT INTO ${s}.customer_data_keys (subject_id, kek_version, ciphertext) SELECT * FROM unnest($1::text[], $2::int[], $3::text[])`,
      [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
    );
    total += rows.length;
  }
  await client.query(`ANALYZE ${s}.events`);
  return total;
}

/**
 * The read model rebuild (`ReadModelRebuilder`, what `npm run customers:rebuild` runs) in events/s,
 * against a raw scan of the same events (the rows read and parsed by the same driver, nothing
 * applied), alternating which runs first. From the second repetition on the rebuild also replaces
 * the rows the previous one left, as a rebuild of a live read model does.
 */
async function rebuildRates(databaseUrl: string, customers: number, runs: number): Promise<{ subject: number[]; baseline: number[]; events: number }> {
  const schema = uniqueName('t_bench_rebuild');
  const keyring = `1:${randomBytes(32).toString('base64')}`;
  const { dataSource } = await createTestSchema('bench-rebuild', customerRecordsMigrations(schema), schema);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const subject: number[] = [];
  const baseline: number[] = [];
  try {
    log(`customers: seeding the event store of ${customers} customers for the rebuild`);
    const events = await seedRebuildEvents(client, schema, customers, keyring);
    const handled = [...new Set(readModelProjections(schema).flatMap((p) => [...p.projection.handles]))];
    const rebuild = async () => {
      const result = await new ReadModelRebuilder({
        dataSource,
        schema,
        registry: eventRegistry,
        cipher: new FieldCipher(StaticKeyProvider.fromKeyring(keyring), new PostgresDataKeyStore(dataSource, schema), { cache: { maxEntries: 0 } }),
        projections: readModelProjections,
      }).run();
      if (result.events !== events) throw new Error(`the rebuild applied ${result.events} of ${events} events`);
      log(`customers: rebuilt at ${Math.round(result.eventsPerSecond)} events/s; the swap held writes ${result.lockedSeconds.toFixed(2)} s`);
      return result.eventsPerSecond;
    };
    const scan = async () => {
      const t = performance.now();
      const { rows } = await client.query(
        `SELECT global_position, event_id, stream_id, stream_version, type, schema_version, occurred_at, actor, correlation_id,
           causation_id, data, prev_hash, hash, transaction_id::text AS transaction_id
         FROM "${schema}".events WHERE type = ANY($1::text[]) ORDER BY transaction_id, global_position`,
        [handled],
      );
      if (rows.length !== events) throw new Error(`the scan read ${rows.length} of ${events} events`);
      return rows.length / ((performance.now() - t) / 1000);
    };
    for (let rep = 0; rep < runs; rep++) {
      log(`customers: rebuild repetition ${rep + 1}/${runs} (${events} events)`);
      if (rep % 2 === 0) {
        subject.push(await rebuild());
        baseline.push(await scan());
      } else {
        baseline.push(await scan());
        subject.push(await rebuild());
      }
    }
    return { subject, baseline, events };
  } finally {
    await client.end();
    await dropTestSchema(dataSource, schema);
  }
}

export async function runCustomerRecordsBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 5);
  const customers = intEnv('BENCH_CUSTOMERS', 100_000);
  const reads = intEnv('BENCH_CUSTOMER_READS', 1000);
  const importRowsN = intEnv('BENCH_IMPORT_ROWS', 2000);
  const parts = new Set((process.env.BENCH_CUSTOMERS_PARTS ?? 'read,import,rebuild').split(',').map((p) => p.trim()));
  const databaseUrl = testEnv().databaseUrl;
  const r = {
    getS: [] as number[], getB: [] as number[], liveS: [] as number[], listS: [] as number[], listB: [] as number[], impS: [] as number[], impB: [] as number[],
    rebuildS: [] as number[], rebuildB: [] as number[],
  };
  log(`customers: ${runs} runs; ${customers} customers; ${reads} reads per rep; import ${importRowsN} rows; parts ${[...parts].join(',')}`);
  if (parts.has('read') || parts.has('import')) {
    const stack = await launchStack(customers, 200);
    const raw = new pg.Client({ connectionString: databaseUrl });
    await raw.connect();
    try {
      const s = `"${stack.schema}"`;
      // The same SELECTs the service runs, with the staff filter toSqlFilter produces.
      const rawGet = (id: string) =>
        raw.query(`SELECT * FROM ${s}.customers WHERE id = $1 AND (("owner_id" = $2 AND "classification" = ANY($3)))`, [
          id,
          stack.ownerId,
          ['public', 'internal', 'confidential'],
        ]);
      const rawList = () =>
        raw.query(
          `SELECT * FROM ${s}.customers WHERE status = $1 AND name IS NOT NULL AND (("owner_id" = $2 AND "classification" = ANY($3)))
           AND ($4::uuid IS NULL OR id > $4::uuid) ORDER BY id LIMIT $5`,
          ['active', stack.ownerId, ['public', 'internal', 'confidential'], null, 51],
        );
      const get = (i: number) => httpGet(`${stack.app.url}/v1/customers/${stack.ids[i % stack.ids.length]}`, stack.token);
      const list = () => httpGet(`${stack.app.url}/v1/customers?limit=50`, stack.token);
      if (parts.has('read')) {
        await timed(200, get); // warm-up
        await timed(50, list);
        await timed(200, (i) => rawGet(stack.ids[i % stack.ids.length]).then(() => undefined));
      }
      for (let rep = 0; rep < runs; rep++) {
        log(`customers: repetition ${rep + 1}/${runs}`);
        if (parts.has('read')) {
          const getS = await timed(reads, get);
          const getB = await timed(reads, (i) => rawGet(stack.ids[i % stack.ids.length]).then(() => undefined));
          // The framework's floor on this machine: an answer that touches no database, same client.
          const live = await timed(reads, () => httpGet(`${stack.app.url}/health/live`, stack.token));
          const dist = (xs: number[]) => [50, 90, 99].map((q) => `p${q} ${percentile(sorted(xs), q).toFixed(2)}`).join(', ');
          log(`customers: GET one ${dist(getS)} ms; raw SELECT ${dist(getB)} ms; /health/live ${dist(live)} ms`);
          r.liveS.push(percentile(sorted(live), 99));
          r.getS.push(percentile(sorted(getS), 99));
          r.getB.push(percentile(sorted(getB), 99));
          const listS = await timed(Math.ceil(reads / 5), list);
          const listB = await timed(Math.ceil(reads / 5), () => rawList().then(() => undefined));
          r.listS.push(percentile(sorted(listS), 99));
          r.listB.push(percentile(sorted(listB), 99));
        }
        if (parts.has('import')) {
          const { csv, copy } = importRows(importRowsN, `rep${rep}${randomBytes(2).toString('hex')}`, 'team-import');
          if (rep % 2 === 0) {
            r.impS.push(await importRate(stack, csv, importRowsN));
            r.impB.push(await copyRate(databaseUrl, stack.schema, copy, importRowsN));
          } else {
            r.impB.push(await copyRate(databaseUrl, stack.schema, copy, importRowsN));
            r.impS.push(await importRate(stack, csv, importRowsN));
          }
        }
      }
    } finally {
      await raw.end();
      await stack.app.stop();
      await stack.issuer.stop();
      await rm(stack.build, { recursive: true, force: true });
      const db = await connectTestSchema(stack.schema, 'bench-customers');
      await dropTestSchema(db, stack.schema);
    }
  }
  let rebuildEvents = 0;
  if (parts.has('rebuild')) {
    const rates = await rebuildRates(databaseUrl, customers, runs);
    r.rebuildS = rates.subject;
    r.rebuildB = rates.baseline;
    rebuildEvents = rates.events;
  }
  const line = (name: string, unit: string, s: number[], b: number[], goal: string, pass: (s: Spread) => boolean | null): Line => {
    const subject = spread(s);
    return { name, unit, subject, baseline: spread(b), ratio: spread(s.map((v, i) => v / b[i])), goal, pass: pass(subject) };
  };
  const lines: Line[] = [];
  if (parts.has('read')) {
    lines.push(
      line(`GET /v1/customers/:id p99 at ${customers} customers (vs raw SELECT)`, 'ms', r.getS, r.getB, 'p99 < 10 ms', (x) => x.median < 10),
      line('GET /v1/customers?limit=50 p99 (vs raw list SELECT)', 'ms', r.listS, r.listB, 'reported', () => null),
      line('GET /health/live p99, the HTTP stack alone (vs raw SELECT)', 'ms', r.liveS, r.getB, 'reported', () => null),
    );
  }
  if (parts.has('import')) {
    lines.push(line(`bulk import rate, ${importRowsN} rows (vs raw COPY)`, 'rows/s', r.impS, r.impB, 'reported', () => null));
  }
  if (parts.has('rebuild')) {
    lines.push(
      line(`read model rebuild, ${rebuildEvents} events of ${customers} customers (vs raw SELECT scan of the events)`, 'events/s', r.rebuildS, r.rebuildB, 'reported', () => null),
    );
  }
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  let out = '\nWarden customer-records benchmarks (median of runs; min–max)\n\n';
  for (const l of lines) {
    out += `  ${l.name}\n    subject ${fmt(l.subject.median)} ${l.unit} (${fmt(l.subject.min)}–${fmt(l.subject.max)})   baseline ${fmt(l.baseline.median)} ${l.unit}   ratio ${fmt(l.ratio.median)}×   goal: ${l.goal}${l.pass === null ? '' : l.pass ? '  ✔' : '  ✘'}\n`;
  }
  process.stdout.write(`${out}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `customers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ runs, customers, reads, importRowsN, parts: [...parts], lines, samples: r }, null, 2));
  return 0;
}
