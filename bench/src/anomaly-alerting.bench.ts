// `BENCH_ONLY=alerting npm run bench`: the anomaly-alerting detector's throughput per instance and
// its event-to-alert latency under background traffic, each against a raw kafkajs baseline
// measured in the same run. See bench/README.md ("Anomaly alerting").
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Topics, type EventEnvelope } from '@warden/contracts';
import { testEnv, uniqueName } from '@warden/testing';
import pg from 'pg';
import type { Admin, Consumer } from 'kafkajs';
import { AlertingHarness, TOPICS } from '../../apps/anomaly-alerting/src/test/alerting-harness';
import { buildApps } from '../../tools/build/build.mjs';
import { log, percentile, sleep, spread, type Spread } from './common';

const ROOT = resolve(__dirname, '../..');
const GROUP = 'anomaly-alerting.detection';

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive integer`);
  return value;
};

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type Line = { name: string; unit: string; subject: Spread; baseline?: Spread; ratio?: Spread; goal?: string; pass?: boolean; note?: string };
type Outgoing = { topic: string; event: EventEnvelope };

/**
 * A mix like the live stream's: reads (most), failed and successful logins, denials, over a pool of
 * users taken in turn from `from` on (a caller producing in slices passes how many it produced, so
 * that every slice does not fall on the same few users).
 */
function mixedEvents(h: AlertingHarness, count: number, users: readonly string[], from = 0): Outgoing[] {
  const out: Outgoing[] = [];
  for (let n = 0; n < count; n += 1) {
    const i = from + n;
    const user = users[i % users.length];
    const r = i % 10;
    if (r < 6) {
      out.push({
        topic: TOPICS.access,
        event: h.events.build(`access-${user}`, 'CustomersListed', { readerId: user, filterKeys: ['q'], resultCount: 1 + (i % 20), customerIds: [], fieldsInClear: [] }),
      });
    } else if (r < 8) {
      out.push({
        topic: TOPICS.auth,
        event: h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId: user, usernameHash: sha(user), reason: 'bad_credentials' }),
      });
    } else if (r < 9) {
      out.push({
        topic: TOPICS.auth,
        event: h.events.build(`session-${randomUUID()}`, 'LoginSucceeded', { userId: user, sessionId: randomUUID(), mfa: true, geo: null }, {
          actor: { userId: user, ip: '81.2.69.142', deviceId: 'laptop' },
        }),
      });
    } else {
      out.push({
        topic: TOPICS.access,
        event: h.events.build(`access-${user}`, 'AccessDenied', { userId: user, action: 'read', subject: 'Customer', resourceId: randomUUID(), reason: 'outside_view' }),
      });
    }
  }
  return out;
}

async function send(h: AlertingHarness, events: readonly Outgoing[], chunk = 1000): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    const slice = events.slice(i, i + chunk);
    await h.producer.sendBatch({
      acks: -1,
      topicMessages: [TOPICS.auth, TOPICS.access].map((topic) => ({
        topic: `${h.prefix}${topic}`,
        messages: slice.filter((o) => o.topic === topic).map((o) => ({ key: o.event.streamId, value: JSON.stringify(o.event) })),
      })),
    });
  }
}

/** End offsets of the detection topics (sum) and the group's committed offsets (sum). */
async function progress(admin: Admin, prefix: string, groupId: string): Promise<{ end: number; committed: number }> {
  let end = 0;
  let committed = 0;
  for (const topic of [TOPICS.auth, TOPICS.access].map((t) => `${prefix}${t}`)) {
    for (const p of await admin.fetchTopicOffsets(topic)) end += Number(p.high);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const p of offsets.partitions) committed += Math.max(0, Number(p.offset));
  }
  return { end, committed };
}

async function withAdmin<T>(h: AlertingHarness, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Produces `events` while the detector runs, then waits until it has committed them all (warm-up). */
async function produceAndDrain(h: AlertingHarness, events: readonly Outgoing[]): Promise<void> {
  await send(h, events);
  await withAdmin(h, async (admin) => {
    const started = performance.now();
    const { end } = await progress(admin, h.prefix, `${h.prefix}${GROUP}`);
    while ((await progress(admin, h.prefix, `${h.prefix}${GROUP}`)).committed < end) {
      if (performance.now() - started > 600_000) throw new Error('the detector did not catch up within 10 minutes');
      await sleep(50);
    }
  });
}

/**
 * Subject: the detector draining a backlog, measured like the raw consumer. The instance is stopped,
 * `events` are produced, the instance starts again; the rate is the events committed from the first
 * commit seen after the restart to the last, over that time (ev/s). Producing, starting and joining
 * the group are outside the measured window, as they are for the raw consumer ("from its first
 * batch"). Also returned: the seconds producing took (info).
 */
async function detectorSample(h: AlertingHarness, events: readonly Outgoing[], env: Record<string, string>): Promise<{ rate: number; produceSeconds: number }> {
  await h.stopInstances();
  const produceStarted = performance.now();
  await send(h, events);
  const produceSeconds = (performance.now() - produceStarted) / 1000;
  return withAdmin(h, async (admin) => {
    const group = `${h.prefix}${GROUP}`;
    const { end, committed: before } = await progress(admin, h.prefix, group);
    await h.launch(env);
    const launched = performance.now();
    let first: { at: number; committed: number } | null = null;
    for (;;) {
      const { committed } = await progress(admin, h.prefix, group);
      const at = performance.now();
      if (!first && committed > before) first = { at, committed };
      if (committed >= end) {
        if (!first || first.committed >= end) throw new Error(`the backlog of ${events.length} was committed before a second look: too few events to measure a rate`);
        return { rate: (end - first.committed) / ((at - first.at) / 1000), produceSeconds };
      }
      if (at - launched > 600_000) throw new Error('the detector did not catch up within 10 minutes');
      await sleep(25);
    }
  });
}

/** Baseline: a raw kafkajs consumer (eachBatch, JSON.parse of each value, no processing) reading the same topics from the beginning (ev/s). */
async function rawConsumeSample(h: AlertingHarness): Promise<number> {
  const { end } = await withAdmin(h, (admin) => progress(admin, h.prefix, `${h.prefix}${GROUP}`));
  const consumer = h.kafka.consumer({ groupId: uniqueName('bench-raw'), allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.auth, TOPICS.access].map((t) => `${h.prefix}${t}`), fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  await new Promise<void>((done) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (!first) first = performance.now();
        for (const m of batch.messages) JSON.parse(m.value?.toString('utf8') ?? 'null');
        seen += batch.messages.length;
        if (seen >= end) {
          last = performance.now();
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  // From the first batch on (joining the group is not consumption).
  return seen / ((last - first) / 1000);
}

/** Latency: triggers (a tenth failed login of a user with nine) among `rate` background events/s; trigger send → AlertRaised on warden.alerts.v1, and → the raw message read by a plain consumer. */
async function latencySample(h: AlertingHarness, rate: number, seconds: number, triggers: number, storm: boolean): Promise<{ stored: number[]; alert: number[]; raw: number[]; achieved: number }> {
  const users = Array.from({ length: triggers }, () => randomUUID());
  const failed = (user: string) =>
    h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId: user, usernameHash: sha(user), reason: 'bad_credentials' });
  await send(h, users.flatMap((user) => Array.from({ length: 9 }, () => ({ topic: TOPICS.auth, event: failed(user) }))));
  const sentAt = new Map<string, number>();
  const alertAt = new Map<string, number>();
  const rawAt = new Map<string, number>();
  const listen = async (topic: string, on: (value: Record<string, unknown>, at: number) => void): Promise<Consumer> => {
    const consumer = h.kafka.consumer({ groupId: uniqueName('bench-lat'), allowAutoTopicCreation: false, maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${h.prefix}${topic}`], fromBeginning: false });
    void consumer.run({ eachMessage: async ({ message }) => on(JSON.parse(message.value?.toString('utf8') ?? '{}'), performance.now()) });
    return consumer;
  };
  const alerts = await listen(Topics.alerts, (e, at) => {
    const data = e.data as { rule?: string; userId?: string } | undefined;
    if (e.type === 'AlertRaised' && data?.rule === 'brute-force' && data.userId && !alertAt.has(data.userId)) alertAt.set(data.userId, at);
  });
  const raw = await listen(TOPICS.auth, (e, at) => {
    const data = e.data as { userId?: string } | undefined;
    if (data?.userId && sentAt.has(data.userId) && !rawAt.has(data.userId)) rawAt.set(data.userId, at);
  });
  // The alert as the API serves it: its row committed in `alerts` (polled every 20 ms).
  const storedAt = new Map<string, number>();
  const db = new pg.Client({ connectionString: testEnv().databaseUrl });
  await db.connect();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const waiting = [...sentAt.keys()].filter((u) => !storedAt.has(u));
      if (waiting.length) {
        const { rows } = await db.query<{ user_id: string }>(`SELECT user_id FROM "${h.schema}".alerts WHERE rule = 'brute-force' AND user_id = ANY($1)`, [waiting]);
        const at = performance.now();
        for (const r of rows) storedAt.set(r.user_id, at);
      }
      await sleep(20);
    }
  })();
  await sleep(3000); // both listeners joined (fromBeginning false: they read from now)
  await h.waitUntilConsuming();

  const background = Array.from({ length: 20_000 }, () => randomUUID());
  const tickMs = 50;
  const perTick = Math.round((rate * tickMs) / 1000);
  const ticks = Math.round((seconds * 1000) / tickMs);
  const everyTicks = Math.max(1, Math.floor(ticks / triggers));
  let produced = 0;
  const started = performance.now();
  for (let t = 0; t < ticks; t += 1) {
    const due = started + t * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // In a storm every tick falls on the same 100 people (about 70 of them keep repeating alerts).
    const batch = mixedEvents(h, perTick, background, storm ? 0 : t * perTick).filter((o) => o.event.type !== 'LoginFailed');
    const trigger = t % everyTicks === 0 && t / everyTicks < triggers ? users[t / everyTicks] : undefined;
    const out = trigger ? [...batch, { topic: TOPICS.auth, event: failed(trigger) }] : batch;
    if (trigger) sentAt.set(trigger, performance.now());
    await send(h, out, out.length);
    produced += out.length;
  }
  const achieved = produced / ((performance.now() - started) / 1000);
  const deadline = performance.now() + 60_000;
  while ((alertAt.size < sentAt.size || rawAt.size < sentAt.size || storedAt.size < sentAt.size) && performance.now() < deadline) await sleep(100);
  polling = false;
  await poller;
  await db.end();
  await Promise.all([alerts.disconnect(), raw.disconnect()]);
  const latencies = (arrived: Map<string, number>) =>
    [...sentAt].map(([user, at]) => (arrived.has(user) ? (arrived.get(user) as number) - at : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
  return { stored: latencies(storedAt), alert: latencies(alertAt), raw: latencies(rawAt), achieved };
}

/** Per phase of the detection batches, from the app's `/metrics`: batches and mean milliseconds. */
async function batchPhases(h: AlertingHarness): Promise<Record<string, { batches: number; meanMs: number }>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const read = (what: 'sum' | 'count') =>
    new Map([...text.matchAll(new RegExp(`warden_detection_batch_phase_seconds_${what}\\{phase="(\\w+)"\\} ([\\d.e+-]+)`, 'g'))].map((m) => [m[1], Number(m[2])]));
  const sums = read('sum');
  const counts = read('count');
  return Object.fromEntries([...counts].map(([phase, n]) => [phase, { batches: n, meanMs: n ? ((sums.get(phase) ?? 0) * 1000) / n : 0 }]));
}

export async function runAnomalyAlertingBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 3);
  const events = intEnv('BENCH_ALERTING_EVENTS', 30_000);
  const rate = intEnv('BENCH_ALERTING_RATE', 2000);
  const seconds = intEnv('BENCH_ALERTING_SECONDS', 10);
  const triggers = intEnv('BENCH_ALERTING_TRIGGERS', 50);
  // `BENCH_ALERTING_STORM=1`: the background keeps about 70 alerts repeating (an attack in progress) instead of a human pace.
  const storm = process.env['BENCH_ALERTING_STORM'] === '1';
  // A directory: the app runs with V8's CPU profiler and writes its profile there when it stops.
  const profileDir = process.env['BENCH_ALERTING_CPU_PROFILE'];
  const appEnv: Record<string, string> = profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(profileDir)}` } : {};
  const h = new AlertingHarness();
  // 20,000 people: per person a human pace (a few events per run), so alerts stay rare as in production.
  const users = Array.from({ length: 20_000 }, () => randomUUID());
  const samples = { detector: [] as number[], produceSeconds: [] as number[], raw: [] as number[], alertP50: [] as number[], alertP99: [] as number[], kafkaP99: [] as number[], rawP99: [] as number[], achieved: [] as number[] };
  let phases: Awaited<ReturnType<typeof batchPhases>> = {};
  const loadStart = loadavg();
  log(`alerting: ${runs} runs, ${events} events per throughput run, latency at ${rate}/s for ${seconds} s with ${triggers} triggers${storm ? ' (alert storm)' : ''}`);
  try {
    // BENCH_FROM_SOURCE=1: the app from its TypeScript source (swc-node), as `npm start` runs it; else compiled, as production runs it.
    if (process.env['BENCH_FROM_SOURCE'] !== '1') {
      h.build = await mkdtemp(join(tmpdir(), 'warden-alerting-build-'));
      await buildApps({ out: h.build, apps: ['anomaly-alerting'], sourceMaps: false });
    }
    await h.start(1, appEnv);
    await produceAndDrain(h, mixedEvents(h, 5000, users)); // warm-up (JIT, pools, Redis scripts)
    for (let rep = 0; rep < runs; rep += 1) {
      const batch = mixedEvents(h, events, users);
      const drained = await detectorSample(h, batch, appEnv);
      samples.detector.push(drained.rate);
      samples.produceSeconds.push(drained.produceSeconds);
      samples.raw.push(await rawConsumeSample(h));
      log(`throughput run ${rep + 1}: detector ${samples.detector[rep].toFixed(0)} ev/s, raw kafkajs ${samples.raw[rep].toFixed(0)} ev/s`);
      const lat = await latencySample(h, rate, seconds, triggers, storm);
      samples.alertP50.push(percentile(lat.stored, 50));
      samples.alertP99.push(percentile(lat.stored, 99));
      samples.kafkaP99.push(percentile(lat.alert, 99));
      samples.rawP99.push(percentile(lat.raw, 99));
      samples.achieved.push(lat.achieved);
      log(`latency run ${rep + 1}: alert stored p99 ${percentile(lat.stored, 99).toFixed(0)} ms, on warden.alerts.v1 p99 ${percentile(lat.alert, 99).toFixed(0)} ms, raw p99 ${percentile(lat.raw, 99).toFixed(0)} ms at ${lat.achieved.toFixed(0)} ev/s`);
    }
    phases = await batchPhases(h);
  } finally {
    await h.stop();
    if (h.build) await rm(h.build, { recursive: true, force: true });
  }
  const ratio = spread(samples.detector.map((v, i) => v / samples.raw[i]));
  const bg = storm ? ' (alert storm)' : '';
  const p99 = spread(samples.alertP99);
  const lines: Line[] = [
    {
      name: `Detector throughput, 1 instance draining a backlog of ${events} ev, vs raw kafkajs consume of the same topics`,
      unit: 'ev/s',
      subject: spread(samples.detector),
      baseline: spread(samples.raw),
      ratio,
      goal: '≥ 10,000 ev/s',
      pass: spread(samples.detector).median >= 10_000,
    },
    { name: `Event-to-alert (stored, as the API serves it) p50 @${rate}/s${bg}`, unit: 'ms', subject: spread(samples.alertP50), note: 'info' },
    {
      name: `Event-to-alert (stored) p99 @${rate}/s${bg} vs raw produce→consume p99`,
      unit: 'ms',
      subject: p99,
      baseline: spread(samples.rawP99),
      ratio: spread(samples.alertP99.map((v, i) => v / samples.rawP99[i])),
      goal: '< 500 ms',
      pass: p99.median < 500,
    },
    {
      name: `Event-to-alert on warden.alerts.v1 p99 @${rate}/s${bg}`,
      unit: 'ms',
      subject: spread(samples.kafkaP99),
      note: 'info: adds the alerts relay, which waits for every older transaction in the database (pg_snapshot_xmin)',
    },
    { name: `Producing each backlog (${events} ev, acks −1, outside the measured window)`, unit: 's', subject: spread(samples.produceSeconds), note: 'info' },
    { name: 'Achieved background rate', unit: 'ev/s', subject: spread(samples.achieved), note: 'info: should be ≈ target' },
  ];
  const fmt = (s: Spread, unit: string) => `${s.median.toFixed(unit === 'ms' ? 1 : 0)} [${s.min.toFixed(unit === 'ms' ? 1 : 0)}–${s.max.toFixed(unit === 'ms' ? 1 : 0)}]`;
  let out = `\nanomaly-alerting bench: ${runs} repetitions, medians [min–max]\n\n`;
  for (const l of lines) {
    out += `${l.name}: ${fmt(l.subject, l.unit)} ${l.unit}`;
    if (l.baseline) out += `; baseline ${fmt(l.baseline, l.unit)} ${l.unit}`;
    if (l.ratio) out += `; ratio ${l.ratio.median.toFixed(2)}× [${l.ratio.min.toFixed(2)}–${l.ratio.max.toFixed(2)}]`;
    if (l.goal) out += `; goal ${l.goal}: ${l.pass ? 'PASS' : 'FAIL'}`;
    out += '\n';
  }
  out += `detection batches (whole bench, warm-up included): ${Object.entries(phases).map(([phase, p]) => `${phase} ${p.meanMs.toFixed(1)} ms × ${p.batches}`).join(', ')}\n`;
  out += `load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`;
  process.stdout.write(out);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `alerting-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ config: { runs, events, rate, seconds, triggers, storm }, lines, samples, phases }, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
  return 0;
}
