// `BENCH_ONLY=offboarding npm run bench`: offboarding freeze latency and hand-over rate on the real
// authorization, customer-records, exports, audit and offboarding apps, each against a baseline
// measured in the same run. See bench/README.md ("Offboarding").
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { RevocationStore } from '@warden/security';
import { expectEventually } from '@warden/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { callApp, RealStack, type StackUser } from '../../apps/offboarding/src/test/real-stack';
import { log, percentile, spread, type Spread } from './common';

const ROOT = resolve(__dirname, '../..');

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive integer`);
  return value;
};

type Step = { step: string; startedAt: string | null; completedAt: string | null; counts: Record<string, unknown> };
type Case = { status: string; tookEffectAt: string | null; steps: Step[] };
type Line = { name: string; unit: string; subject: Spread; baseline: Spread; ratio: Spread; goal: string };

const ip = () => `198.18.${randomInt(0, 255)}.${randomInt(1, 254)}`;

/** Polls customer-records with `token` back to back until it answers 401; the time of that answer. */
async function firstRefusal(stack: RealStack, token: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${stack.customers.url}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status === 401) return Date.now();
    if (res.status !== 200) throw new Error(`customer-records answered ${res.status} before refusing`);
  }
  throw new Error('the token was never refused');
}

async function caseOf(stack: RealStack, hrToken: string, id: string): Promise<Case> {
  return (await callApp<Case>(stack.offboarding.url, `/v1/offboardings/${id}`, { token: hrToken })).body;
}

async function offboard(stack: RealStack, hrToken: string, leaver: StackUser, successor: StackUser): Promise<string> {
  const res = await callApp<{ id: string }>(stack.offboarding.url, '/v1/offboardings', {
    token: hrToken,
    body: { userId: leaver.id, successorId: successor.id, reason: 'bench' },
  });
  if (res.status !== 202) throw new Error(`offboarding request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Polls `probe` every `everyMs` until it says refused; the time of that answer. */
async function refusedAt(probe: () => Promise<boolean>, what: string, everyMs: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return Date.now();
    if (everyMs > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${what}: never refused`);
}

/** A route of each service the leaver could reach with their token. */
const everyService = (stack: RealStack, userId: string) => [
  { service: 'authorization', url: stack.authorization.url, path: '/v1/roles' },
  { service: 'customer-records', url: stack.customers.url, path: '/v1/customers?limit=1' },
  { service: 'exports', url: stack.exports.url, path: '/v1/exports' },
  { service: 'audit', url: stack.audit.url, path: `/v1/audit/users/${userId}/activity?days=1` },
  { service: 'offboarding', url: stack.offboarding.url, path: '/v1/offboardings' },
];

/**
 * Subject: an offboarding case taking effect → the LAST refusal (ms): the leaver's token refused by
 * every service (each polled back to back) and a password login refused (polled every 100 ms: each
 * login costs an argon2 verification). The freeze's commands travel through Kafka to authorization
 * and exports; the token's refusal waits only for the Redis marker, the login's for authorization's
 * freeze.
 */
async function freezeSample(stack: RealStack, hrToken: string, team: string, successor: StackUser): Promise<number> {
  const leaver = await stack.createUser(['staff'], team);
  const from = ip();
  const token = await stack.login(leaver, from);
  for (const { service, url, path } of everyService(stack, leaver.id)) {
    const status = (await callApp(url, path, { token })).status;
    if (status === 401) throw new Error(`fresh token refused by ${service}`);
  }
  const id = await offboard(stack, hrToken, leaver, successor);
  const tokenProbes = everyService(stack, leaver.id).map(({ service, url, path }) =>
    refusedAt(
      async () => {
        const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`${service} answered ${res.status} before refusing`);
        return res.status === 401;
      },
      `the token at ${service}`,
      0,
    ),
  );
  const loginProbe = refusedAt(
    async () => {
      const res = await callApp(stack.authorization.url, '/v1/auth/login', { body: { username: leaver.username, password: leaver.password }, ip: from });
      if (res.status === 429 || res.status >= 500) throw new Error(`login answered ${res.status} before refusing`);
      return res.status !== 200;
    },
    'the password login',
    100,
  );
  const last = Math.max(...(await Promise.all([...tokenProbes, loginProbe])));
  const tookEffect = Date.parse((await caseOf(stack, hrToken, id)).tookEffectAt ?? '');
  return last - tookEffect;
}

/** Baseline: the same user-wide revocation marker written directly to Redis → the token refused (ms). */
async function markerSample(stack: RealStack, revocations: RevocationStore, team: string): Promise<number> {
  const user = await stack.createUser(['staff'], team);
  const token = await stack.login(user, ip());
  if ((await callApp(stack.customers.url, '/v1/customers?limit=1', { token })).status !== 200) throw new Error('fresh token refused');
  const at = Date.now();
  await revocations.revokeUser(user.id, new Date(at));
  return (await firstRefusal(stack, token)) - at;
}

/** Subject: hand-over of `customers` (HandoverStarted → HandoverCompleted on the case), customers/s. */
type Breakdown = { commandDeliveryMs: number; customerRecordsMs: number; answerDeliveryMs: number };

async function handoverSample(
  stack: RealStack,
  hrToken: string,
  team: string,
  customers: number,
): Promise<{ rate: number; successor: string; breakdown: Breakdown }> {
  const leaver = await stack.createUser(['staff'], team);
  const successor = await stack.createUser(['staff'], team);
  const token = await stack.login(leaver, ip());
  const seeding = Date.now();
  await stack.importCustomers(token, customers);
  log(`offboarding: ${customers} customers imported in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
  const id = await offboard(stack, hrToken, leaver, successor);
  const done = await expectEventually(
    async () => {
      const c = await caseOf(stack, hrToken, id);
      const handover = c.steps.find((s) => s.step === 'handover');
      if (!handover?.completedAt || !handover.startedAt) throw new Error(`hand-over not done: ${c.status}`);
      return handover;
    },
    { timeoutMs: 900_000, intervalMs: 250 },
  );
  if (done.counts.customersTransferred !== customers) throw new Error(`moved ${String(done.counts.customersTransferred)} of ${customers}`);
  const seconds = (Date.parse(done.completedAt ?? '') - Date.parse(done.startedAt ?? '')) / 1000;
  // Where the time went: customer-records' own transfer stream (requested → last event).
  const [cr] = await stack.query<{ first: Date; last: Date }>(
    `SELECT min(occurred_at) AS first, max(occurred_at) AS last FROM "${stack.schemas.customers}".events WHERE stream_id = $1`,
    [`transfer-${String(done.counts.transferId)}`],
  );
  const breakdown = {
    commandDeliveryMs: cr.first.getTime() - Date.parse(done.startedAt ?? ''),
    customerRecordsMs: cr.last.getTime() - cr.first.getTime(),
    answerDeliveryMs: Date.parse(done.completedAt ?? '') - cr.last.getTime(),
  };
  log(`offboarding: hand-over ${seconds.toFixed(1)} s: ${JSON.stringify(breakdown)}`);
  return { rate: customers / seconds, successor: successor.id, breakdown };
}

/** Baseline: one raw UPDATE of the owner column of the same rows in customer-records' table, rows/s. */
async function updateSample(stack: RealStack, raw: pg.Client, ownerId: string, customers: number): Promise<number> {
  const started = performance.now();
  const { rowCount } = await raw.query(`UPDATE "${stack.schemas.customers}".customers SET owner_id = $2, updated_at = now() WHERE owner_id = $1`, [
    ownerId,
    `baseline-${ownerId}`,
  ]);
  const seconds = (performance.now() - started) / 1000;
  if (rowCount !== customers) throw new Error(`the baseline UPDATE touched ${rowCount} rows, not ${customers}`);
  return customers / seconds;
}

export async function runOffboardingBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 2);
  const customers = intEnv('BENCH_OFFB_CUSTOMERS', 10_000);
  const freezes = intEnv('BENCH_OFFB_FREEZES', 20);
  log(`offboarding: ${runs} runs; ${freezes} freezes per run; hand-over of ${customers} customers per run; load ${loadavg()[0].toFixed(1)}`);
  const stack = await RealStack.launch('bench_offb', { offboardingEnv: { OFFBOARDING_HANDOVER_TIMEOUT_MS: '600000' } });
  const redis = new Redis(stack.env.redisUrl);
  const revocations = new RevocationStore(redis);
  const raw = new pg.Client({ connectionString: stack.env.databaseUrl });
  await raw.connect();
  const samples = { freezeMs: [] as number[][], markerMs: [] as number[][], handoverRate: [] as number[], updateRate: [] as number[], handoverBreakdown: [] as Breakdown[] };
  try {
    const team = await stack.createTeam();
    const successor = await stack.createUser(['staff'], team);
    await freezeSample(stack, await stack.login(await stack.createUser(['hr'], null), ip()), team, successor); // warm-up
    for (let rep = 0; rep < runs; rep += 1) {
      log(`offboarding: repetition ${rep + 1}/${runs}`);
      const hrToken = await stack.login(await stack.createUser(['hr'], null), ip());
      const freeze: number[] = [];
      const marker: number[] = [];
      for (let i = 0; i < freezes; i += 1) {
        // Order alternates, so neither side always runs on a machine warmed by the other.
        if ((i + rep) % 2 === 0) {
          freeze.push(await freezeSample(stack, hrToken, team, successor));
          marker.push(await markerSample(stack, revocations, team));
        } else {
          marker.push(await markerSample(stack, revocations, team));
          freeze.push(await freezeSample(stack, hrToken, team, successor));
        }
      }
      samples.freezeMs.push(freeze);
      samples.markerMs.push(marker);
      const handover = await handoverSample(stack, hrToken, team, customers);
      samples.handoverRate.push(handover.rate);
      samples.handoverBreakdown.push(handover.breakdown);
      samples.updateRate.push(await updateSample(stack, raw, handover.successor, customers));
    }
  } finally {
    await raw.end();
    redis.disconnect();
    await stack.stop();
  }
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const pct = (sets: number[][], p: number) => sets.map((set) => percentile(sorted(set), p));
  const line = (name: string, unit: string, s: number[], b: number[], goal: string): Line => ({
    name,
    unit,
    subject: spread(s),
    baseline: spread(b),
    ratio: spread(s.map((v, i) => v / b[i])),
    goal,
  });
  const lines: Line[] = [
    line('freeze p50: took effect → last refusal (token at all 5 services, password login) (vs Redis marker written directly → token refused by customer-records)', 'ms', pct(samples.freezeMs, 50), pct(samples.markerMs, 50), 'reported'),
    line('freeze p99: took effect → last refusal (token at all 5 services, password login) (vs Redis marker written directly → token refused by customer-records)', 'ms', pct(samples.freezeMs, 99), pct(samples.markerMs, 99), 'p99 < 2000 ms'),
    line(`hand-over of ${customers} customers (vs one raw UPDATE of owner_id on the same rows)`, 'customers/s', samples.handoverRate, samples.updateRate, 'reported'),
  ];
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  let out = '\nWarden offboarding benchmarks (median of runs; min–max)\n\n';
  for (const l of lines) {
    out += `  ${l.name}\n    subject ${fmt(l.subject.median)} ${l.unit} (${fmt(l.subject.min)}–${fmt(l.subject.max)})   baseline ${fmt(l.baseline.median)} ${l.unit}   ratio ${fmt(l.ratio.median)}×   goal: ${l.goal}\n`;
  }
  process.stdout.write(`${out}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `offboarding-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify({ runs, customers, freezes, lines, samples }, null, 2),
  );
  return 0;
}
