// `npm run bench`: event-store append rate, relay rate and relay lag against their baselines.
// Prints a table to stdout and writes bench/results/bench-<timestamp>.json. Progress goes to
// stderr. Exit code 0 whether or not goals are met; non-zero on errors. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { testKafka } from '@warden/testing';
import pg from 'pg';
import { AppendBench, type AppendSample } from './append.bench';
import { Cleanup, type BenchConfig, loadConfig, log, spread, type Spread } from './common';
import { LagBench, type LagSample } from './lag.bench';
import { RelayBench, type RelaySample } from './relay.bench';
import { runAuthorizationBench } from './authorization.bench';
import { runAuditBench } from './audit.bench';
import { runExportsBench } from './exports.bench';
import { runCustomerRecordsBench } from './customer-records.bench';
import { runOffboardingBench } from './offboarding.bench';
import { runAnomalyAlertingBench } from './anomaly-alerting.bench';

const ROOT = resolve(__dirname, '../..');

process.env.DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/warden_test';
process.env.KAFKA_BROKERS ||= '127.0.0.1:9092';
process.env.REDIS_URL ||= 'redis://127.0.0.1:6379'; // not used; @warden/testing's testEnv() wants it

type Line = {
  name: string;
  unit: string;
  subject: Spread;
  baseline?: Spread;
  /** Subject ÷ baseline per repetition (paired), then median/min/max. */
  ratio?: Spread;
  goal?: string;
  pass?: boolean;
  note?: string;
};

type Results = {
  append: AppendSample[];
  relay: RelaySample[];
  lag: LagSample[];
  diagnostics: Record<string, unknown>;
};

async function main(): Promise<number> {
  if (process.env.BENCH_ONLY === 'authz') return runAuthorizationBench();
  if (process.env.BENCH_ONLY === 'audit') return runAuditBench();
  if (process.env.BENCH_ONLY === 'exports') return runExportsBench();
  if (process.env.BENCH_ONLY === 'customers') return runCustomerRecordsBench();
  if (process.env.BENCH_ONLY === 'offboarding') return runOffboardingBench();
  if (process.env.BENCH_ONLY === 'alerting') return runAnomalyAlertingBench();
  const config = loadConfig();
  const databaseUrl = process.env.DATABASE_URL as string;
  const brokers = (process.env.KAFKA_BROKERS as string).split(',').map((b) => b.trim());
  const startedAt = new Date();
  const started = performance.now();
  log(
    `runs ${config.runs}; benchmarks ${[...config.only].join(', ')}; database ${redact(databaseUrl)}; kafka ${brokers.join(',')}`,
  );

  const environment = await describeEnvironment(databaseUrl, brokers);
  const cleanup = new Cleanup();
  const kafka = testKafka('warden-bench', brokers);
  const admin = kafka.admin();
  let adminConnected = false;
  const results: Results = { append: [], relay: [], lag: [], diagnostics: {} };

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup
      .run(adminConnected ? admin : null)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    try {
      await admin.connect();
      adminConnected = true;
    } catch (error) {
      throw new Error(
        `Kafka at ${brokers.join(',')} does not answer (${(error as Error).message}); start it with \`bash deploy/local/kafka.sh start\``,
      );
    }

    if (config.only.has('append')) {
      const bench = new AppendBench(config, cleanup, databaseUrl);
      await bench.open();
      try {
        results.diagnostics.statementsPerAppend = await bench.statementsPerAppend();
        await bench.warmUp();
        for (let rep = 0; rep < config.runs; rep += 1) results.append.push(...(await bench.rep(rep)));
      } finally {
        await bench.close();
      }
    }

    if (config.only.has('relay')) {
      const bench = new RelayBench(config, cleanup, kafka, admin);
      await bench.setup();
      await bench.warmUp();
      for (let rep = 0; rep < config.runs; rep += 1) results.relay.push(...(await bench.rep(rep)));
      results.diagnostics.idleRelay = await bench.idlePolling();
    }

    if (config.only.has('lag')) {
      const bench = new LagBench(config, cleanup, kafka, admin);
      for (let rep = 0; rep < config.runs; rep += 1) results.lag.push(await bench.rep(rep));
    }
  } finally {
    const problems = await cleanup.run(adminConnected ? admin : null);
    for (const p of problems) log(p);
    if (adminConnected) await admin.disconnect().catch(() => undefined);
  }

  const lines = summarise(config, results);
  environment.loadAverageEnd = loadavg();
  const finishedAt = new Date();
  const durationS = (performance.now() - started) / 1000;
  process.stdout.write(render(config, lines, results, durationS, environment));

  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationS,
        config: { ...config, only: [...config.only] },
        environment,
        summary: lines,
        ...results,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nresults: ${relative(ROOT, file)}\n`);
  return 0;
}

function summarise(config: BenchConfig, results: Results): Line[] {
  const lines: Line[] = [];
  const runs = [...Array(config.runs).keys()];
  const pick = <T extends { rep: number }>(samples: T[], where: (s: T) => boolean, value: (s: T) => number) =>
    runs
      .map((rep) => samples.find((s) => s.rep === rep && where(s)))
      .filter((s): s is T => !!s)
      .map(value);
  const paired = (subject: number[], baseline: number[]) => subject.map((v, i) => v / baseline[i]);

  if (results.append.length) {
    const rate = (mode: string, variant: string) =>
      pick(
        results.append,
        (s) => s.mode === mode && s.variant === variant,
        (s) => s.perSecond,
      );
    const { concurrency, events } = config.append;
    for (const [mode, label] of [
      ['sequential', 'Append, 1 writer'],
      ['concurrent', `Append, ${concurrency} writers`],
    ] as const) {
      const subject = rate(mode, 'append');
      const baseline = rate(mode, 'raw');
      const ratio = spread(paired(subject, baseline));
      lines.push({
        name: `${label} (${events} ev) vs raw INSERT`,
        unit: 'ev/s',
        subject: spread(subject),
        baseline: spread(baseline),
        ratio,
        goal: '≥ 0.70×',
        pass: ratio.median >= 0.7,
      });
    }
    const cpu = (mode: string, variant: string) =>
      pick(
        results.append,
        (s) => s.mode === mode && s.variant === variant,
        (s) => s.clientCpuUsPerEvent,
      );
    lines.push({
      name: `Bench-process CPU per event, ${concurrency} writers`,
      unit: 'µs',
      subject: spread(cpu('concurrent', 'append')),
      baseline: spread(cpu('concurrent', 'raw')),
      ratio: spread(paired(cpu('concurrent', 'append'), cpu('concurrent', 'raw'))),
      note: 'info: client-side CPU (driver, TypeORM, validation, hashing) per event; lower is better',
    });
    const raw = rate('sequential', 'raw');
    for (const [variant, label, note] of [
      [
        'appendNoHash',
        'Append, 1 writer, head not given',
        'info: expectedVersion without expectedHash, so the store reads the head first',
      ],
      [
        'appendTx',
        'Append, 1 writer, with a projection',
        'info: an inline projection (here a no-op) makes the append a transaction',
      ],
    ] as const) {
      const subject = rate('sequential', variant);
      lines.push({
        name: `${label} vs raw INSERT`,
        unit: 'ev/s',
        subject: spread(subject),
        baseline: spread(raw),
        ratio: spread(paired(subject, raw)),
        note,
      });
    }
  }

  if (results.relay.length) {
    const subject = pick(
      results.relay,
      (s) => s.variant === 'relay',
      (s) => s.perSecond,
    );
    const baseline = pick(
      results.relay,
      (s) => s.variant === 'producer',
      (s) => s.perSecond,
    );
    const ratio = spread(paired(subject, baseline));
    lines.push({
      name: `Relay (${config.relay.events} ev, batch ${config.relay.batchSize}) vs kafkajs`,
      unit: 'ev/s',
      subject: spread(subject),
      baseline: spread(baseline),
      ratio,
      goal: '≥ 0.80×',
      pass: ratio.median >= 0.8,
    });
  }

  if (results.lag.length) {
    const { rate, seconds, writers } = config.lag;
    const at = `@${rate}/s`;
    const lag = (key: 'p50' | 'p95' | 'p99' | 'max') => spread(results.lag.map((s) => s.relayLagMs[key]));
    lines.push({ name: `Relay lag p50 ${at}`, unit: 'ms', subject: lag('p50') });
    lines.push({ name: `Relay lag p95 ${at}`, unit: 'ms', subject: lag('p95') });
    const p99 = lag('p99');
    const achieved = spread(results.lag.map((s) => s.achievedRate));
    lines.push({
      name: `Relay lag p99 ${at}`,
      unit: 'ms',
      subject: p99,
      goal: '< 100 ms',
      pass: p99.median < 100,
      note:
        achieved.median < 0.95 * rate
          ? `the writers reached only ${Math.round(achieved.median)} events/s (median), not ${rate}: the machine could not sustain the target rate`
          : undefined,
    });
    lines.push({ name: `Relay lag max ${at}`, unit: 'ms', subject: lag('max') });
    if (results.lag.every((s) => s.endToEndMs)) {
      const e2e = (key: 'p50' | 'p99') =>
        spread(results.lag.map((s) => (s.endToEndMs as NonNullable<LagSample['endToEndMs']>)[key]));
      lines.push({ name: `End-to-end (consumer) p50 ${at}`, unit: 'ms', subject: e2e('p50'), note: 'info' });
      lines.push({ name: `End-to-end (consumer) p99 ${at}`, unit: 'ms', subject: e2e('p99'), note: 'info' });
    }
    lines.push({
      name: `Append latency p99 ${at}`,
      unit: 'ms',
      subject: spread(results.lag.map((s) => s.appendLatencyMs.p99)),
      note: 'info: commit latency seen by the writers',
    });
    lines.push({
      name: `Bench process CPU ${at}`,
      unit: '%',
      subject: spread(results.lag.map((s) => s.processCpuPercent)),
      note: 'info: % of one core used by writers + relay + consumer (one event loop)',
    });
    lines.push({
      name: `Event-loop delay p99 ${at}`,
      unit: 'ms',
      subject: spread(results.lag.map((s) => s.eventLoopDelayMs.p99)),
      note: 'info: time ready callbacks waited for the JS thread',
    });
    lines.push({
      name: `Achieved write rate (${writers} writers, ${seconds} s)`,
      unit: 'ev/s',
      subject: spread(results.lag.map((s) => s.achievedRate)),
      note: 'info: should be ≈ target',
    });
  }
  return lines;
}

const fmt = (value: number, unit: string) =>
  unit === 'ms' || unit === '%'
    ? value.toFixed(1)
    : unit === 'µs'
      ? value.toFixed(0)
      : value >= 100
        ? Math.round(value).toLocaleString('en-US')
        : value.toFixed(2);
const fmtSpread = (s: Spread, unit: string) =>
  `${fmt(s.median, unit)} [${fmt(s.min, unit)}–${fmt(s.max, unit)}]`;
const fmtRatio = (s: Spread) => `${s.median.toFixed(2)}× [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`;

function render(
  config: BenchConfig,
  lines: Line[],
  results: Results,
  durationS: number,
  environment: Record<string, unknown>,
): string {
  const header = [
    'Measurement',
    'Unit',
    'Subject median [min–max]',
    'Baseline median [min–max]',
    'Ratio',
    'Goal',
    'Result',
  ];
  const rows = lines.map((l) => [
    l.name,
    l.unit,
    fmtSpread(l.subject, l.unit),
    l.baseline ? fmtSpread(l.baseline, l.unit) : '',
    l.ratio ? fmtRatio(l.ratio) : '',
    l.goal ?? '',
    l.pass === undefined ? (l.note?.startsWith('info') ? 'info' : '') : l.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |\n`;
  let out = `\nWarden bench: ${config.runs} repetitions, medians [min–max]; ratios are per-repetition subject ÷ baseline\n\n`;
  out += row(header);
  out += `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`;
  for (const r of rows) out += row(r);
  const notes = lines.filter((l) => l.note && l.note !== 'info').map((l) => `  ${l.name}: ${l.note}`);
  if (notes.length) out += `\nNotes:\n${notes.join('\n')}\n`;
  const d = results.diagnostics as {
    statementsPerAppend?: Record<string, { perAppend: number; texts: string[]; appends: number }>;
    idleRelay?: { perSecond: number; texts: string[] };
  };
  if (d.statementsPerAppend || d.idleRelay) out += '\nDiagnostics (statements sent by the pg driver):\n';
  for (const [variant, count] of Object.entries(d.statementsPerAppend ?? {})) {
    out += `  ${variant}: ${count.perAppend.toFixed(2)} statements per single-event append (${count.appends} appends)\n`;
    for (const t of count.texts) out += `    ${t}\n`;
  }
  if (d.idleRelay) {
    out += `  idle relay (caught up, nothing to publish): ${d.idleRelay.perSecond.toFixed(0)} statements/s\n`;
    for (const t of d.idleRelay.texts) out += `    ${t}\n`;
  }
  const load = (at: unknown) => (at as number[]).map((l) => l.toFixed(2)).join(' ');
  out += `\nTotal time ${durationS.toFixed(0)} s; load average (1/5/15 min) at start ${load(environment.loadAverageStart)}, at end ${load(environment.loadAverageEnd)} on ${environment.cpus} CPUs\n`;
  if ((environment.loadAverageStart as number[])[0] > (environment.cpus as number)) {
    out += 'Warning: the machine was busy when the bench started; other processes skew these numbers.\n';
  }
  return out;
}

async function describeEnvironment(databaseUrl: string, brokers: string[]): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  let postgres: Record<string, string> = {};
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Postgres at ${redact(databaseUrl)} does not answer (${(error as Error).message}); start it or set DATABASE_URL`,
    );
  }
  try {
    const settings = ['server_version', 'synchronous_commit', 'fsync', 'shared_buffers', 'wal_sync_method'];
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name`,
      [settings],
    );
    postgres = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    loadAverageStart: loadavg(),
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    postgres,
    kafkaBrokers: brokers,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: (git(['status', '--porcelain']) ?? '') !== '',
  };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`bench: error: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
