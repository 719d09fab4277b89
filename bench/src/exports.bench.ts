// `BENCH_ONLY=exports npm run bench`: the exports service's CSV generation through the real apps,
// against a baseline measured in the same run (see bench/README.md, "Exports"):
//   1. rows/s of a CSV export (request → completed: customer-records' internal stream with the
//      requester's levels, masking, fingerprint, csv-stringify, SHA-256, AES-256-GCM file) vs
//      `psql \copy (SELECT the same columns) TO csv` of the same rows;
//   2. peak RSS of the exports process (VmRSS sampled every 100 ms during each export; VmHWM)
//      at every size, and its growth from the smallest to the largest size;
// Both apps run as production runs them: compiled by the production build (tools/build, into a
// temp dir), plain `node main.js` with the app's node.flags.
//   3. (info) the exports app run from its TypeScript source through @swc-node/register (as
//      `npm start` and the tests run it): idle and peak RSS and rows/s, one export per size.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectTestSchema, freePort, launchApp, testEnv, TestTokenIssuer, uniqueName, uniqueTopicPrefix, type LaunchedApp } from '@warden/testing';
import { AuthorizationStub } from '../../apps/exports/src/test/authorization-stub';
import { analyzeCustomers, seedCustomers } from '../../apps/exports/src/test/customer-seed';
import { maskSensitive } from '../../apps/customer-records/src/customer/customer-sensitive.util';
import { log, spread, type Spread } from './common';
import { buildApps } from '../../tools/build/build.mjs';

const ROOT = resolve(__dirname, '../..');
const intEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

/** The exported fields. */
const FIELDS = ['name', 'company', 'tags', 'classification', 'status', 'mobile', 'email'];
/**
 * Whether the seeded rows hold the masked forms of mobile and e-mail, as customer-records writes
 * them with each registration (`BENCH_EXPORT_MASKED_FORMS`, default 1), or not (0: rows written
 * before those columns existed; customer-records then decrypts both fields of every row).
 */
const MASKED_FORMS = process.env.BENCH_EXPORT_MASKED_FORMS !== '0';
/** The read-model columns `psql` copies for them: the sensitive ones as stored (masked forms, else ciphertexts). */
const COLUMNS = MASKED_FORMS
  ? 'id, name, company, tags, classification, status, mobile_masked, email_masked'
  : 'id, name, company, tags, classification, status, mobile_ciphertext, email_ciphertext';
const MB = 1024 * 1024;
const TICKS_PER_SECOND = 100;

type Sample = {
  size: number;
  rep: number;
  order: 'export-first' | 'copy-first';
  exportRowsPerSecond: number;
  exportSeconds: number;
  generationSeconds: number;
  rowCount: number;
  fileBytes: number;
  copyRowsPerSecond: number;
  copySeconds: number;
  exportsPeakRssMb: number;
  exportsHwmMb: number;
  customerRecordsPeakRssMb: number;
  exportsCpuSeconds: number;
  customerRecordsCpuSeconds: number;
};

type Line = { name: string; unit: string; subject: Spread; baseline?: Spread; ratio?: Spread; goal: string; pass: boolean | null };

const status = async (pid: number) => {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: (kb('VmRSS') * 1024) / MB, hwm: (kb('VmHWM') * 1024) / MB };
};
/** User + system CPU of a process so far (s), from /proc/<pid>/stat. */
const cpuSeconds = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};

/** Samples VmRSS of the processes every 100 ms until `stop()`; returns the peaks (MB). */
function sampleRss(pids: number[]): { stop: () => Promise<number[]> } {
  const peaks = pids.map(() => 0);
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        pids.map(async (pid, i) => {
          const { rss } = await status(pid);
          if (rss > peaks[i]) peaks[i] = rss;
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peaks;
    },
  };
}

type Stack = {
  issuer: TestTokenIssuer;
  auth: AuthorizationStub;
  customers: LaunchedApp;
  exports: LaunchedApp;
  crSchema: string;
  exportsSchema: string;
  dir: string;
  keks: string;
  staff: string;
  team: string;
  exportsEnv: Record<string, string>;
};

async function launchStack(build: string): Promise<Stack> {
  const env = testEnv();
  const staff = randomUUID();
  const team = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const keks = `1:${randomBytes(32).toString('base64')}`;
  const crSchema = uniqueName('t_bench_exp_cr');
  const exportsSchema = uniqueName('t_bench_exports');
  const issuer = await TestTokenIssuer.start();
  const auth = await AuthorizationStub.start(issuer, new Map([[staff, { roles: ['staff'], teamIds: [team] }]]), { exports: clientSecret });
  // BENCH_EXPORT_CPU_PROF=<dir>: both apps write a V8 CPU profile there when they stop (diagnosis only).
  const profile: Record<string, string> = process.env.BENCH_EXPORT_CPU_PROF
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(process.env.BENCH_EXPORT_CPU_PROF)}` }
    : {};
  // BENCH_EXPORT_NODE_OPTIONS: Node options of the exports apps only (e.g. heap settings; diagnosis only).
  const exportsNodeOptions: Record<string, string> = process.env.BENCH_EXPORT_NODE_OPTIONS
    ? { NODE_OPTIONS: [profile.NODE_OPTIONS, process.env.BENCH_EXPORT_NODE_OPTIONS].filter(Boolean).join(' ') }
    : {};
  const common = {
    ...profile,
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('bench-exports'),
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTHORIZATION_URL: auth.url,
    WARDEN_KEKS: keks,
  };
  const crPort = await freePort();
  const customers = await launchApp('customer-records', {
    port: crPort,
    build,
    env: { ...common, CUSTOMER_RECORDS_PORT: String(crPort), CUSTOMER_RECORDS_DB_SCHEMA: crSchema, CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64') },
    readyTimeoutMs: 120_000,
  });
  const dir = await mkdtemp(join(tmpdir(), 'warden-bench-exports-'));
  const port = await freePort();
  const exports = await launchApp('exports', {
    port,
    build,
    // The bench measures generation, not approval: no threshold or quota in the way (exportsOnly).
    env: { ...common, ...exportsNodeOptions, ...exportsOnly(customers.url, clientSecret, dir), EXPORTS_PORT: String(port), EXPORTS_DB_SCHEMA: exportsSchema },
    readyTimeoutMs: 120_000,
  });
  return { issuer, auth, customers, exports, crSchema, exportsSchema, dir, keks, staff, team, exportsEnv: { ...common, ...exportsNodeOptions, ...exportsOnly(customers.url, clientSecret, dir) } };
}

/** exports' own variables (the instance from source gets the same, with its own schema and port). */
const exportsOnly = (customersUrl: string, clientSecret: string, dir: string): Record<string, string> => ({
  CUSTOMER_RECORDS_URL: customersUrl,
  SERVICE_CLIENT_ID: 'exports',
  SERVICE_CLIENT_SECRET: clientSecret,
  EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
  EXPORTS_DIR: dir,
  EXPORTS_ROW_THRESHOLD: '1000000000',
  EXPORTS_DAILY_ROW_QUOTA: '1000000000',
});

/** One CSV export, request → completed; the file is then cancelled (deleted). */
async function runExport(stack: Stack, size: number, app: LaunchedApp = stack.exports): Promise<Omit<Sample, 'size' | 'rep' | 'order' | 'copyRowsPerSecond' | 'copySeconds'>> {
  const token = await stack.issuer.issue({ userId: stack.staff, roles: ['staff'], teamId: stack.team, expiresIn: 7200 });
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const pids = [app.process.pid as number, stack.customers.process.pid as number];
  const cpu0 = await Promise.all(pids.map(cpuSeconds));
  const sampler = sampleRss(pids);
  const t0 = performance.now();
  const res = await call('POST', '/v1/exports', { fields: FIELDS, format: 'csv', reason: 'bench export' });
  if (res.status !== 201) throw new Error(`export request answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  let view: { status: string; rowCount: number; bytes: number; startedAt: string; completedAt: string };
  for (;;) {
    view = (await (await call('GET', `/v1/exports/${id}`)).json()) as typeof view;
    if (view.status === 'completed') break;
    if (view.status !== 'queued' && view.status !== 'running') throw new Error(`export ${id} ended ${view.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exportSeconds = (performance.now() - t0) / 1000;
  const [exportsPeak, crPeak] = await sampler.stop();
  const cpu1 = await Promise.all(pids.map(cpuSeconds));
  const { hwm } = await status(pids[0]);
  if (view.rowCount !== size) throw new Error(`export ${id} has ${view.rowCount} rows, expected ${size}`);
  const cancelled = await call('POST', `/v1/exports/${id}/cancel`, { reason: 'bench done' });
  if (cancelled.status !== 200) throw new Error(`cancel answered ${cancelled.status}`);
  return {
    exportRowsPerSecond: size / exportSeconds,
    exportSeconds,
    generationSeconds: (Date.parse(view.completedAt) - Date.parse(view.startedAt)) / 1000,
    rowCount: view.rowCount,
    fileBytes: view.bytes,
    exportsPeakRssMb: exportsPeak,
    exportsHwmMb: hwm,
    customerRecordsPeakRssMb: crPeak,
    exportsCpuSeconds: cpu1[0] - cpu0[0],
    customerRecordsCpuSeconds: cpu1[1] - cpu0[1],
  };
}

/** The baseline: `psql \copy` of the same rows and columns to a CSV file (psql start-up included). */
async function runCopy(stack: Stack, size: number): Promise<{ copyRowsPerSecond: number; copySeconds: number }> {
  const out = join(stack.dir, `copy-${randomUUID()}.csv`);
  const where = `status = 'active' AND name IS NOT NULL AND (owner_id = '${stack.staff}' OR team_id = '${stack.team}')`;
  const command = `\\copy (SELECT ${COLUMNS} FROM "${stack.crSchema}".customers WHERE ${where} ORDER BY id) TO '${out}' WITH (FORMAT csv, HEADER)`;
  const t0 = performance.now();
  await new Promise<void>((done, fail) => {
    const child = spawn('psql', [testEnv().databaseUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? done() : fail(new Error(`psql \\copy failed: ${stderr}`))));
  });
  const copySeconds = (performance.now() - t0) / 1000;
  const lines = Number(execFileSync('wc', ['-l', out], { encoding: 'utf8' }).trim().split(' ')[0]);
  await rm(out, { force: true });
  if (lines !== size + 1) throw new Error(`psql copied ${lines - 1} rows, expected ${size}`);
  return { copyRowsPerSecond: size / copySeconds, copySeconds };
}

export async function runExportsBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 3);
  const sizes = (process.env.BENCH_EXPORT_SIZES ?? '100000,1000000')
    .split(',')
    .map((s) => Number(s.trim()))
    .sort((a, b) => a - b);
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error('BENCH_EXPORT_SIZES must be positive integers, e.g. 100000,1000000');
  const startedAt = new Date();
  const load0 = loadavg();
  log(`exports: sizes ${sizes.join(', ')}; ${runs} runs each; rows ${MASKED_FORMS ? 'with' : 'without'} masked forms`);
  const t0 = performance.now();
  const build = await mkdtemp(join(tmpdir(), 'warden-exports-build-'));
  // The production build (tools/build, `npm run build`) of both apps and the libraries, without source maps.
  await buildApps({ out: build, apps: ['customer-records', 'exports'], sourceMaps: false });
  log(`exports: compiled ahead of time into ${build} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const stack = await launchStack(build).catch(async (error: unknown) => {
    await rm(build, { recursive: true, force: true });
    throw error;
  });
  // The same exports app from its source, with its own schema (BENCH_EXPORT_FROM_SOURCE=0: skipped).
  const fromSource = process.env.BENCH_EXPORT_FROM_SOURCE === '0' ? null : { schema: uniqueName('t_bench_exports_src'), app: null as LaunchedApp | null };
  // Apps stopped, schemas dropped and files removed at the end, also on Ctrl-C / SIGTERM.
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await fromSource?.app?.stop();
      await rm(build, { recursive: true, force: true });
      await stack.exports.stop();
      await stack.customers.stop();
      await stack.auth.stop();
      await stack.issuer.stop();
      const db = await connectTestSchema(stack.crSchema, 'bench-exports');
      for (const schema of [stack.crSchema, stack.exportsSchema, ...(fromSource ? [fromSource.schema] : [])]) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.destroy();
      await rm(stack.dir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`exports: ${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const samples: Sample[] = [];
  // The app at rest (booted, nothing exported yet): what the peaks below are compared with.
  const idleRssMb = (await status(stack.exports.process.pid as number)).rss;
  const seeding: Array<{ rows: number; seconds: number }> = [];
  let seededRows = 0;
  let fromSourceIdleRssMb = Number.NaN;
  const fromSourceSamples: Array<{ size: number; exportRowsPerSecond: number; copyRowsPerSecond: number; exportsPeakRssMb: number; exportsCpuSeconds: number }> = [];
  try {
    if (fromSource) {
      const port = await freePort();
      fromSource.app = await launchApp('exports', {
        port,
        env: { ...stack.exportsEnv, EXPORTS_DB_SCHEMA: fromSource.schema, EXPORTS_PORT: String(port) },
        readyTimeoutMs: 120_000,
      });
      fromSourceIdleRssMb = (await status(fromSource.app.process.pid as number)).rss;
      log(`exports: app from source idle RSS ${fromSourceIdleRssMb.toFixed(0)} MB (compiled app: ${idleRssMb.toFixed(0)} MB)`);
    }
    for (const size of sizes) {
      const t0 = performance.now();
      const add = size - seededRows;
      log(`exports: seeding ${add.toLocaleString('en-US')} customers (to ${size.toLocaleString('en-US')})`);
      await seedCustomers({
        databaseUrl: testEnv().databaseUrl,
        schema: stack.crSchema,
        keks: stack.keks,
        ownerId: stack.staff,
        teamId: stack.team,
        count: add,
        firstIndex: seededRows,
        ...(MASKED_FORMS && { mask: (field: 'mobile' | 'email', value: string) => maskSensitive[field](value) }),
      });
      await analyzeCustomers(testEnv().databaseUrl, stack.crSchema);
      seededRows = size;
      seeding.push({ rows: add, seconds: (performance.now() - t0) / 1000 });
      log(`exports: seeded in ${seeding[seeding.length - 1].seconds.toFixed(1)} s`);
      // Warm-up (JIT, connections, caches of both apps and Postgres), not measured.
      await runCopy(stack, size);
      if (size === sizes[0]) await runExport(stack, size);
      for (let rep = 0; rep < runs; rep += 1) {
        const order = rep % 2 === 0 ? 'export-first' : 'copy-first';
        let copy: Awaited<ReturnType<typeof runCopy>>;
        let exported: Awaited<ReturnType<typeof runExport>>;
        if (order === 'export-first') {
          exported = await runExport(stack, size);
          copy = await runCopy(stack, size);
        } else {
          copy = await runCopy(stack, size);
          exported = await runExport(stack, size);
        }
        samples.push({ size, rep, order, ...exported, ...copy });
        log(
          `exports: ${size} rows, run ${rep + 1}/${runs}: export ${Math.round(exported.exportRowsPerSecond)} rows/s, copy ${Math.round(copy.copyRowsPerSecond)} rows/s, exports peak RSS ${exported.exportsPeakRssMb.toFixed(0)} MB`,
        );
      }
      if (fromSource?.app) {
        // One export through the app from source per size (after a warm-up at the first size).
        if (size === sizes[0]) await runExport(stack, size, fromSource.app);
        const exported = await runExport(stack, size, fromSource.app);
        const copy = await runCopy(stack, size);
        fromSourceSamples.push({ size, ...exported, ...copy });
        log(`exports: ${size} rows, app from source: export ${Math.round(exported.exportRowsPerSecond)} rows/s, peak RSS ${exported.exportsPeakRssMb.toFixed(0)} MB`);
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const lines: Line[] = [];
  const at = (size: number) => samples.filter((s) => s.size === size);
  const ratioOf = (subject: number[], baseline: number[]) => spread(subject.map((v, i) => v / baseline[i]));
  for (const size of sizes) {
    const s = at(size);
    const label = size.toLocaleString('en-US');
    const ratio = ratioOf(
      s.map((x) => x.exportRowsPerSecond),
      s.map((x) => x.copyRowsPerSecond),
    );
    lines.push({
      name: `CSV export ${label} rows (compiled apps, as in production) vs psql \\copy`,
      unit: 'rows/s',
      subject: spread(s.map((x) => x.exportRowsPerSecond)),
      baseline: spread(s.map((x) => x.copyRowsPerSecond)),
      ratio,
      goal: '≥ 0.30×',
      pass: ratio.median >= 0.3,
    });
    const rss = spread(s.map((x) => x.exportsPeakRssMb));
    lines.push({
      name: `exports peak RSS (compiled, as in production), ${label}-row export`,
      unit: 'MB',
      subject: rss,
      baseline: spread(s.map(() => idleRssMb)),
      goal: '< 250 MB (baseline column: the app idle before any export)',
      pass: rss.median < 250,
    });
    lines.push({ name: `exports CPU per 100k rows, ${label}`, unit: 's', subject: spread(s.map((x) => (x.exportsCpuSeconds * 100_000) / size)), baseline: spread(s.map((x) => (x.customerRecordsCpuSeconds * 100_000) / size)), goal: 'info (baseline column: customer-records)', pass: null });
  }
  for (const x of fromSourceSamples) {
    const label = x.size.toLocaleString('en-US');
    lines.push({
      name: `exports peak RSS, app from source (@swc-node/register), ${label}-row export`,
      unit: 'MB',
      subject: spread([x.exportsPeakRssMb]),
      baseline: spread([fromSourceIdleRssMb]),
      goal: 'info (one run; baseline column: that app idle)',
      pass: null,
    });
    lines.push({
      name: `CSV export ${label} rows, app from source, vs psql \\copy`,
      unit: 'rows/s',
      subject: spread([x.exportRowsPerSecond]),
      baseline: spread([x.copyRowsPerSecond]),
      ratio: spread([x.exportRowsPerSecond / x.copyRowsPerSecond]),
      goal: 'info (one run)',
      pass: null,
    });
  }
  if (sizes.length > 1) {
    const small = at(sizes[0]).map((x) => x.exportsPeakRssMb);
    const large = at(sizes[sizes.length - 1]).map((x) => x.exportsPeakRssMb);
    const growth = ratioOf(large, small);
    lines.push({
      name: `exports peak RSS growth ${sizes[0].toLocaleString('en-US')} → ${sizes[sizes.length - 1].toLocaleString('en-US')} rows`,
      unit: '×',
      subject: growth,
      goal: 'flat (≤ 1.20×)',
      pass: growth.median <= 1.2,
    });
  }

  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  let out = `\nWarden exports benchmarks: ${runs} runs per size, medians [min–max]; ratios per run (export ÷ psql \\copy)\n\n`;
  for (const l of lines) {
    const base = l.baseline ? `   baseline ${fmt(l.baseline.median)} ${l.unit} [${fmt(l.baseline.min)}–${fmt(l.baseline.max)}]` : '';
    const ratio = l.ratio ? `   ratio ${l.ratio.median.toFixed(2)}× [${l.ratio.min.toFixed(2)}–${l.ratio.max.toFixed(2)}]` : '';
    const verdict = l.pass === null ? 'info' : l.pass ? 'PASS' : 'FAIL';
    out += `  ${l.name}\n    subject ${fmt(l.subject.median)} ${l.unit} [${fmt(l.subject.min)}–${fmt(l.subject.max)}]${base}${ratio}   goal: ${l.goal}   ${verdict}\n`;
  }
  out += `\nSeeding: ${seeding.map((s) => `${s.rows.toLocaleString('en-US')} rows in ${s.seconds.toFixed(0)} s`).join(', ')}\n`;
  const load1 = loadavg();
  out += `Load average (1/5/15 min) at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${load1.map((l) => l.toFixed(2)).join(' ')}\n`;
  process.stdout.write(out);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `exports-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), runs, sizes, fields: FIELDS, maskedForms: MASKED_FORMS, idleRssMb, fromSourceIdleRssMb, fromSourceSamples, seeding, loadAverageStart: load0, loadAverageEnd: load1, summary: lines, samples }, null, 2)}\n`,
  );
  process.stdout.write(`\nresults: bench/results/${file.slice(dir.length + 1)}\n`);
  return 0;
}
