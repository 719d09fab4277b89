// `BENCH_ONLY=authz npm run bench`: the authorization service's benchmarks, each against a baseline
// measured in the same run (medians over BENCH_RUNS repetitions). See bench/README.md.
//   1. local ability check: Policy.can() p99 vs a plain-JS rule lookup doing the same decision;
//   2. POST /v1/decisions at 50 concurrent clients vs GET /health/live on the same app;
//   3. revocation propagation: logout on one instance → first refusal by another instance;
//   4. login rate with the production argon2 cost vs raw argon2 verify in-process;
//   5. failed-login time of an unknown username vs a known one with a wrong password.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME } from '@warden/security';
import { connectTestSchema, dropTestSchema, freePort, launchApp, testEnv, uniqueName, uniqueTopicPrefix, type LaunchedApp } from '@warden/testing';
import * as argon2 from 'argon2';
import autocannon from 'autocannon';
import { generate } from 'otplib';
import { log, median, percentile, spread, type Spread } from './common';
import { request, type BenchResponse } from './http-client';

const ROOT = resolve(__dirname, '../..');
const intEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

type Line = { name: string; unit: string; subject: Spread; baseline: Spread; ratio: Spread; goal: string; pass: boolean | null };

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/** 1. Policy.can() latency per call (µs), each call timed, vs the same decision by a plain lookup. */
function abilityRep(calls: number): { subjectP99: number; baselineP99: number } {
  const userId = '0190a0a0-0000-7000-8000-000000000001';
  const teams = Array.from({ length: 20 }, (_, i) => `0190a0a0-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`);
  const compiled = compileAbility({
    user: { userId, roles: ['staff', 'supervisor'], teamIds: teams, clearance: 'confidential', status: 'active' },
    roles: DEFAULT_ROLES_BY_NAME,
    grants: [{ id: 'g1', userId, status: 'active', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), permissions: [{ action: 'export', subject: 'Customer', conditions: { team: 'mine' } }] }],
    now: new Date(),
  });
  const policy = createPolicy(compiled);
  // Baseline: the same question answered by a hand-written check over a prebuilt index.
  const teamSet = new Set(teams);
  const plain = (resource: { ownerId: string; teamId: string; classification: string }) =>
    resource.ownerId === userId || (teamSet.has(resource.teamId) && resource.classification !== 'restricted');
  const resources = Array.from({ length: 64 }, (_, i) => ({
    ownerId: i % 3 === 0 ? userId : `other-${i}`,
    teamId: i % 2 === 0 ? teams[i % teams.length] : `t-${i}`,
    classification: ['public', 'internal', 'confidential', 'restricted'][i % 4],
  }));
  const subject: number[] = new Array(calls);
  const baseline: number[] = new Array(calls);
  let sink = 0;
  for (let i = 0; i < calls; i++) {
    const r = resources[i & 63];
    let t = performance.now();
    if (policy.can('read', 'Customer', r)) sink++;
    subject[i] = (performance.now() - t) * 1000;
    t = performance.now();
    if (plain(r)) sink++;
    baseline[i] = (performance.now() - t) * 1000;
  }
  if (sink < 0) log('unreachable');
  return { subjectP99: percentile(sorted(subject), 99), baselineP99: percentile(sorted(baseline), 99) };
}

type Target = { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string };

/**
 * `clients` kept-alive connections in a closed loop for `ms` (each sends its next request when the
 * last is answered), driven by autocannon: it writes prebuilt requests and parses answers with
 * little work of its own, so the app it shares the 2 cores with gets most of them. Requests per
 * second and p99 latency (ms), from each answer's own time (autocannon's histogram rounds to whole
 * milliseconds). Any answer other than 200, or a connection error, fails the bench.
 */
async function load(target: Target, clients: number, ms: number): Promise<{ rate: number; p99: number }> {
  const latencies: number[] = [];
  const options = { url: target.url, method: target.method ?? 'GET', headers: target.headers, body: target.body, connections: clients, duration: ms / 1000 };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error as Error) : resolve(done)));
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) latencies.push(responseTime);
    });
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${target.url}: ${result.non2xx} answers other than 2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rate: latencies.length / result.duration, p99: percentile(sorted(latencies), 99) };
}

/**
 * `clients` connections sending `rate` requests per second in all on a fixed schedule (open loop)
 * for `ms`: each latency is counted from when its request was due, so a request held back by a
 * slow answer counts its wait too (no coordinated omission). p99 latency (ms) and the rate achieved.
 */
async function openLoad(send: () => Promise<BenchResponse>, clients: number, rate: number, ms: number): Promise<{ rate: number; p99: number }> {
  const latencies: number[] = [];
  const period = (clients * 1000) / rate;
  const start = performance.now() + 20;
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = 0; ; i++) {
        const due = start + (k * period) / clients + i * period;
        if (due > start + ms) return;
        // Timers round to whole milliseconds and may fire early: wait until the request is due.
        while (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, Math.ceil(due - performance.now())));
        const res = await send();
        if (res.status !== 200) throw new Error(`answered ${res.status}`);
        latencies.push(performance.now() - due);
      }
    }),
  );
  return { rate: latencies.length / ((performance.now() - start) / 1000), p99: percentile(sorted(latencies), 99) };
}

/**
 * A bare node:http server in its own process, answering every request with a small JSON body at
 * once: no framework, no logging, no database. The closed loop against it is this machine's floor
 * for 50 clients (the load generator and the server share the same 2 cores).
 */
async function launchBareServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const code = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { const body = '{"decisions":[{"allowed":true}]}'; res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); }); }).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${chunk.toString().trim()}`,
    stop: async () => {
      child.kill();
      await once(child, 'exit');
    },
  };
}

type Stack = { a: LaunchedApp; b: LaunchedApp; schema: string; adminToken: string; exportsToken: string; adminId: string };

async function launchStack(): Promise<Stack> {
  const schema = uniqueName('t_bench_authz');
  const env = testEnv();
  const adminUsername = uniqueName('admin');
  const adminPassword = randomBytes(18).toString('base64url');
  const exportsSecret = randomBytes(32).toString('base64url');
  const common = {
    AUTHORIZATION_DB_SCHEMA: schema,
    KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('bench-authz'),
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    WARDEN_ADMIN_USERNAME: adminUsername,
    WARDEN_ADMIN_PASSWORD: adminPassword,
    WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
    WARDEN_SERVICE_CLIENTS: `exports=${exportsSecret}`,
    LOGIN_IP_MAX_FAILURES: '1000000',
    // The failed-login timing below measures the password path, not the lockout's quick refusal.
    LOGIN_MAX_FAILURES: '1000000',
  };
  // BENCH_AUTHZ_CPU_PROFILE=<dir>: instance A (the one the decisions hit) writes a V8 CPU profile there when it stops.
  const profileDir = process.env['BENCH_AUTHZ_CPU_PROFILE'];
  const profile: Record<string, string> = profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(profileDir)}` } : {};
  const portA = await freePort();
  const a = await launchApp('authorization', { port: portA, env: { ...common, ...profile, AUTHORIZATION_PORT: String(portA) } });
  const portB = await freePort();
  // A second instance on the same database and Redis: "another service" checking the same markers.
  const b = await launchApp('authorization', { port: portB, env: { ...common, AUTHORIZATION_PORT: String(portB), AUTH_JWKS_URL: `${a.url}/.well-known/jwks.json` } });
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${a.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const { enrollmentToken } = (await post('/v1/auth/login', { username: adminUsername, password: adminPassword })) as { enrollmentToken: string };
  const { secret } = (await post('/v1/auth/mfa/enroll', { enrollmentToken })) as { secret: string };
  const { accessToken: adminToken } = (await post('/v1/auth/mfa/activate', { enrollmentToken, totp: await generate({ secret }) })) as { accessToken: string };
  const { accessToken: exportsToken } = (await post('/v1/auth/service-token', { clientId: 'exports', clientSecret: exportsSecret })) as { accessToken: string };
  const list = (await (await fetch(`${a.url}/v1/users?username=${adminUsername}`, { headers: { authorization: `Bearer ${exportsToken}` } })).json()) as {
    items: Array<{ id: string }>;
  };
  return { a, b, schema, adminToken, exportsToken, adminId: list.items[0].id };
}

async function createStaff(stack: Stack): Promise<{ username: string; password: string }> {
  const username = uniqueName('bench');
  const password = randomBytes(18).toString('base64url');
  const res = await fetch(`${stack.a.url}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
    body: JSON.stringify({ username, password, displayName: 'Bench User', email: `${username}@example.com`, roles: ['staff'] }),
  });
  if (res.status !== 201) throw new Error(`user creation answered ${res.status}`);
  return { username, password };
}

async function login(url: string, user: { username: string; password: string }): Promise<string> {
  const res = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** 3. Logout on A → the first 401 from B, polled back to back (ms); per sample. */
async function propagation(stack: Stack, user: { username: string; password: string }, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const token = await login(stack.a.url, user);
    const probe = () => fetch(`${stack.b.url}/v1/roles`, { headers: { authorization: `Bearer ${token}` } });
    if ((await probe()).status !== 200) throw new Error('the new token is not accepted by the second instance');
    const t0 = performance.now();
    const logout = fetch(`${stack.a.url}/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    for (;;) {
      const res = await probe();
      await res.arrayBuffer();
      if (res.status === 401) break;
      if (performance.now() - t0 > 5000) throw new Error('not refused within 5 s');
    }
    out.push(performance.now() - t0);
    await logout;
  }
  return out;
}

/** 4. Sequential logins per second vs argon2 verifications per second of the same cost. */
async function loginRates(stack: Stack, user: { username: string; password: string }, n: number): Promise<{ logins: number; verifies: number }> {
  let t = performance.now();
  for (let i = 0; i < n; i++) await login(stack.a.url, user);
  const logins = n / ((performance.now() - t) / 1000);
  const hash = await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  t = performance.now();
  for (let i = 0; i < n; i++) await argon2.verify(hash, user.password);
  return { logins, verifies: n / ((performance.now() - t) / 1000) };
}

/**
 * 5. Failed logins of an unknown username and of a known one with a wrong password, alternating
 * (which goes first too), medians in ms: equal times mean the answer's timing does not tell whether
 * a username exists (an unknown name is checked against a dummy hash of the same cost).
 */
async function failedLoginTimes(stack: Stack, user: { username: string }, n: number): Promise<{ unknown: number; known: number }> {
  const unknown: number[] = [];
  const known: number[] = [];
  const attempt = async (username: string, into: number[]) => {
    const t = performance.now();
    const res = await fetch(`${stack.a.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'not-the-password-0' }),
    });
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`a failed login answered ${res.status}`);
    into.push(performance.now() - t);
  };
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      await attempt(uniqueName('nobody'), unknown);
      await attempt(user.username, known);
    } else {
      await attempt(user.username, known);
      await attempt(uniqueName('nobody'), unknown);
    }
  }
  return { unknown: median(unknown), known: median(known) };
}

const line = (name: string, unit: string, subject: number[], baseline: number[], goal: string, pass: (s: Spread) => boolean | null): Line => {
  const s = spread(subject);
  return { name, unit, subject: s, baseline: spread(baseline), ratio: spread(subject.map((v, i) => v / baseline[i])), goal, pass: pass(s) };
};

export async function runAuthorizationBench(): Promise<number> {
  const runs = intEnv('BENCH_RUNS', 5);
  const seconds = intEnv('BENCH_AUTHZ_SECONDS', 5);
  const clients = intEnv('BENCH_AUTHZ_CLIENTS', 50);
  const abilityCalls = intEnv('BENCH_AUTHZ_ABILITY_CALLS', 200_000);
  const samples = intEnv('BENCH_AUTHZ_REVOCATIONS', 40);
  const logins = intEnv('BENCH_AUTHZ_LOGINS', 20);
  const openRate = intEnv('BENCH_AUTHZ_OPEN_RATE', 500);
  const r = { openP99: [] as number[], openLiveP99: [] as number[], bareP99: [] as number[], abilityS: [] as number[], abilityB: [] as number[], decS: [] as number[], decB: [] as number[], decP99: [] as number[], liveP99: [] as number[], revP99: [] as number[], revMedian: [] as number[], loginS: [] as number[], loginB: [] as number[], failUnknown: [] as number[], failKnown: [] as number[] };

  log(`authz: ${runs} runs; ability ${abilityCalls} calls; decisions ${clients} clients × ${seconds} s; ${samples} revocations; ${logins} logins`);
  abilityRep(20_000); // warm-up (JIT)
  for (let rep = 0; rep < runs; rep++) {
    const { subjectP99, baselineP99 } = abilityRep(abilityCalls);
    r.abilityS.push(subjectP99);
    r.abilityB.push(baselineP99);
  }
  const bare = await launchBareServer();
  const stack = await launchStack();
  try {
    const decisionsBody = JSON.stringify({ userId: stack.adminId, decisions: [{ subject: 'Customer', action: 'read', resource: { ownerId: stack.adminId } }] });
    const decideTarget: Target = {
      url: `${stack.a.url}/v1/decisions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.exportsToken}` },
      body: decisionsBody,
    };
    const liveTarget: Target = { url: `${stack.a.url}/health/live` };
    const decide = () => request(decideTarget.url, { method: 'POST', headers: decideTarget.headers, body: decisionsBody });
    const live = () => request(liveTarget.url);
    await load(decideTarget, clients, 1000);
    await load(liveTarget, clients, 1000);
    const user = await createStaff(stack);
    for (let rep = 0; rep < runs; rep++) {
      log(`authz: repetition ${rep + 1}/${runs}`);
      // Alternate the order so that a change in machine load hits both alike.
      let d: { rate: number; p99: number };
      let l: { rate: number; p99: number };
      if (rep % 2 === 0) {
        d = await load(decideTarget, clients, seconds * 1000);
        l = await load(liveTarget, clients, seconds * 1000);
      } else {
        l = await load(liveTarget, clients, seconds * 1000);
        d = await load(decideTarget, clients, seconds * 1000);
      }
      r.decS.push(d.rate);
      r.decB.push(l.rate);
      r.decP99.push(d.p99);
      r.liveP99.push(l.p99);
      r.bareP99.push((await load({ url: bare.url }, clients, seconds * 1000)).p99);
      // The same 50 clients at a steady load below saturation: the latency of a decision itself.
      const openD = await openLoad(decide, clients, openRate, seconds * 1000);
      const openL = await openLoad(live, clients, openRate, seconds * 1000);
      r.openP99.push(openD.p99);
      r.openLiveP99.push(openL.p99);
      const prop = sorted(await propagation(stack, user, samples));
      r.revP99.push(percentile(prop, 99));
      r.revMedian.push(median(prop));
      const rates = await loginRates(stack, user, logins);
      r.loginS.push(rates.logins);
      r.loginB.push(rates.verifies);
      const failed = await failedLoginTimes(stack, user, logins);
      r.failUnknown.push(failed.unknown);
      r.failKnown.push(failed.known);
    }
  } finally {
    await bare.stop();
    await stack.a.stop();
    await stack.b.stop();
    const db = await connectTestSchema(stack.schema, 'bench-authz');
    await dropTestSchema(db, stack.schema);
  }

  const lines: Line[] = [
    line('ability.can() p99', 'µs', r.abilityS, r.abilityB, 'p99 < 20 µs', (s) => s.median < 20),
    line('POST /v1/decisions rate (50 clients)', 'req/s', r.decS, r.decB, 'reported (vs /health/live)', () => null),
    line('POST /v1/decisions p99 (50 clients)', 'ms', r.decP99, r.liveP99, 'p99 < 5 ms', (s) => s.median < 5),
    line('GET /health/live p99 (50 clients) vs a bare node:http server', 'ms', r.liveP99, r.bareP99, "reported (the bare server: this machine's floor)", () => null),
    line(`POST /v1/decisions p99 (${clients} clients, ${openRate} req/s offered, open loop)`, 'ms', r.openP99, r.openLiveP99, 'reported (vs /health/live at the same load)', () => null),
    line('revocation propagation p99 (logout → refusal elsewhere)', 'ms', r.revP99, r.revMedian, 'p99 < 200 ms (baseline column: median)', (s) => s.median < 200),
    line('login rate (argon2id 19 MiB, t=2)', 'logins/s', r.loginS, r.loginB, 'reported (vs raw argon2 verify)', () => null),
    {
      // Judged on the ratio: the same machine, the same run, alternating.
      ...line('failed login median, unknown username (vs known username, wrong password)', 'ms', r.failUnknown, r.failKnown, 'ratio 0.9–1.1× (no enumeration by timing)', () => null),
      pass: ((x) => x >= 0.9 && x <= 1.1)(spread(r.failUnknown.map((v, i) => v / r.failKnown[i])).median),
    },
  ];
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  let out = '\nWarden authorization benchmarks (median of runs; min–max)\n\n';
  for (const l of lines) {
    out += `  ${l.name}\n    subject ${fmt(l.subject.median)} ${l.unit} (${fmt(l.subject.min)}–${fmt(l.subject.max)})   baseline ${fmt(l.baseline.median)} ${l.unit}   ratio ${fmt(l.ratio.median)}×   goal: ${l.goal}${l.pass === null ? '' : l.pass ? '  ✔' : '  ✘'}\n`;
  }
  process.stdout.write(`${out}\n`);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `authz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ runs, clients, openRate, seconds, samples, logins, lines }, null, 2));
  return 0;
}
