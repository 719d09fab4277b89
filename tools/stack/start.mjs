// `npm start`: the whole stack on this machine.
//
// 1. Checks the app ports are free and resolves the admin bootstrap password.
// 2. Brings up Postgres, Redis and Kafka where missing (infra.mjs).
// 3. Runs every app (apps/<app>/src/main.ts) from source, output prefixed with the app name.
//    With `--built` (`npm start -- --built`) or WARDEN_BUILT=1: runs the compiled apps of dist/
//    instead (`node dist/apps/<app>/src/main.js`), building them first (`npm run build`) when
//    dist/ is missing or older than the sources.
// 4. Waits for every /health/ready, prints the URLs, and runs until Ctrl-C or SIGTERM.
// 5. On stop: SIGTERM the apps (SIGKILL after 10 s), then stop only the infra this run started.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApps, buildStaleness, builtEntry, DEFAULT_OUT } from '../build/build.mjs';
import {
  ROOT,
  appPort,
  childPath,
  discoverApps,
  jsCommand,
  nodeFlags,
  portEnv,
  portVariable,
  tsCommand,
} from './apps.mjs';
import { canConnect, ensureInfra, redactUrl, stateDir } from './infra.mjs';

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;
const TAIL_LINES = 30;

const say = (line) => process.stderr.write(`stack: ${line}\n`);

// --- admin bootstrap -----------------------------------------------------------

/**
 * The first admin account's credentials, passed to the apps. Outside production a password is
 * generated once and kept in $WARDEN_STATE_DIR/admin-password (mode 0600).
 */
function resolveAdmin(env) {
  const username = env.WARDEN_ADMIN_USERNAME || 'admin';
  if (env.WARDEN_ADMIN_PASSWORD) {
    return { username, password: env.WARDEN_ADMIN_PASSWORD, where: 'password from WARDEN_ADMIN_PASSWORD' };
  }
  if (env.NODE_ENV === 'production') {
    throw new Error(
      'WARDEN_ADMIN_PASSWORD is not set: with NODE_ENV=production the admin password must be given',
    );
  }
  const dir = stateDir(env);
  const file = join(dir, 'admin-password');
  if (existsSync(file)) {
    const password = readFileSync(file, 'utf8').trim();
    if (!password) throw new Error(`${file} is empty; delete it to generate a new admin password`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { username, password, where: `password stored in ${file}` };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return { username, password, file, fresh: true, where: `password stored in ${file}` };
}

/** Prints the admin credentials: the password itself only the first time it was generated. */
function announceAdmin(admin) {
  if (admin.announced) return;
  admin.announced = true;
  if (admin.fresh) {
    console.log(`\n  Admin account (the password is shown this once; it is kept in ${admin.file}):`);
    console.log(`    username: ${admin.username}`);
    console.log(`    password: ${admin.password}\n`);
  } else {
    console.log(`  admin: ${admin.username} (${admin.where})`);
  }
}

/**
 * The key-encryption keyring (WARDEN_KEKS) passed to every app. Outside production one key is
 * generated once (32 random bytes, `1:<base64>`) and kept in $WARDEN_STATE_DIR/keks (mode 0600).
 */
function resolveKeks(env) {
  if (env.WARDEN_KEKS) return env.WARDEN_KEKS;
  if (env.NODE_ENV === 'production') {
    throw new Error('WARDEN_KEKS is not set: with NODE_ENV=production the keyring must be given');
  }
  const dir = stateDir(env);
  const file = join(dir, 'keks');
  if (existsSync(file)) {
    const keyring = readFileSync(file, 'utf8').trim();
    if (!keyring) throw new Error(`${file} is empty; delete it only if nothing was encrypted with it`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return keyring;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyring = `1:${randomBytes(32).toString('base64')}`;
  writeFileSync(file, `${keyring}\n`, { mode: 0o600, flag: 'wx' });
  say(`generated a development keyring in ${file}`);
  return keyring;
}

/**
 * The blind index key of customer-records (CUSTOMER_RECORDS_BLIND_INDEX_KEY). Outside production one
 * is generated once (32 random bytes, base64) and kept in $WARDEN_STATE_DIR/blind-index-key (0600).
 */
function resolveBlindIndexKey(env) {
  if (env.CUSTOMER_RECORDS_BLIND_INDEX_KEY) return env.CUSTOMER_RECORDS_BLIND_INDEX_KEY;
  if (env.NODE_ENV === 'production') {
    throw new Error('CUSTOMER_RECORDS_BLIND_INDEX_KEY is not set: with NODE_ENV=production it must be given');
  }
  const dir = stateDir(env);
  const file = join(dir, 'blind-index-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (!key) throw new Error(`${file} is empty; delete it only if no customer was indexed with it`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return key;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  say(`generated a development blind index key in ${file}`);
  return key;
}

/**
 * The exports service's fingerprint key (EXPORTS_FINGERPRINT_KEY). Outside production one is
 * generated once and kept in $WARDEN_STATE_DIR/exports-fingerprint-key (0600): files already handed
 * out can only be traced with the key they were made with.
 */
function resolveFingerprintKey(env) {
  if (env.EXPORTS_FINGERPRINT_KEY) return env.EXPORTS_FINGERPRINT_KEY;
  if (env.NODE_ENV === 'production') {
    throw new Error('EXPORTS_FINGERPRINT_KEY is not set: with NODE_ENV=production it must be given');
  }
  const dir = stateDir(env);
  const file = join(dir, 'exports-fingerprint-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  say(`generated a development exports fingerprint key in ${file}`);
  return key;
}

/** The services that call others with a token of their own (`POST /v1/auth/service-token`). */
const SERVICE_CLIENTS = ['exports', 'offboarding', 'anomaly-alerting', 'audit', 'customer-records'];

/**
 * One client secret per service (WARDEN_SERVICE_CLIENTS for authorization, SERVICE_CLIENT_ID and
 * SERVICE_CLIENT_SECRET for each other app). Given WARDEN_SERVICE_CLIENTS, it is used as it is;
 * otherwise, outside production, the secrets are generated once (32 random bytes, base64url) and
 * kept in $WARDEN_STATE_DIR/service-clients (mode 0600), one `<clientId>=<secret>` per line; a
 * service missing from the file gets a secret added.
 */
function resolveServiceClients(env) {
  const parse = (text) =>
    Object.fromEntries(
      text
        .split(/[,\n]/)
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
  if (env.WARDEN_SERVICE_CLIENTS) return parse(env.WARDEN_SERVICE_CLIENTS);
  if (env.NODE_ENV === 'production') {
    throw new Error('WARDEN_SERVICE_CLIENTS is not set: with NODE_ENV=production the service credentials must be given');
  }
  const dir = stateDir(env);
  const file = join(dir, 'service-clients');
  const clients = existsSync(file) ? parse(readFileSync(file, 'utf8')) : {};
  const missing = SERVICE_CLIENTS.filter((id) => !clients[id]);
  if (missing.length > 0) {
    for (const id of missing) clients[id] = randomBytes(32).toString('base64url');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lines = Object.entries(clients).map(([id, secret]) => `${id}=${secret}`);
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    say(`generated service client secrets (${missing.join(', ')}) in ${file}`);
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return clients;
}

/** What an app is given of the service credentials: all of them to authorization, its own to the others. */
function serviceClientEnv(app, clients) {
  if (app === 'authorization') {
    return { WARDEN_SERVICE_CLIENTS: Object.entries(clients).map(([id, secret]) => `${id}=${secret}`).join(',') };
  }
  return clients[app] ? { SERVICE_CLIENT_ID: app, SERVICE_CLIENT_SECRET: clients[app] } : {};
}

/**
 * The audit's checkpoint signing key (AUDIT_SIGNING_KEY, base64 of a 32-byte Ed25519 seed). Outside
 * production one is generated once and kept in $WARDEN_STATE_DIR/audit-signing-key (0600): the
 * checkpoints already published can only be checked with the key that signed them.
 */
function resolveAuditSigningKey(env) {
  if (env.AUDIT_SIGNING_KEY) return env.AUDIT_SIGNING_KEY;
  if (env.NODE_ENV === 'production') {
    throw new Error('AUDIT_SIGNING_KEY is not set: with NODE_ENV=production it must be given');
  }
  const dir = stateDir(env);
  const file = join(dir, 'audit-signing-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (!key) throw new Error(`${file} is empty; delete it to generate a new audit signing key`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return key;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  say(`generated a development audit signing key in ${file}`);
  return key;
}

// --- app processes -------------------------------------------------------------

/** Makes a pino JSON line readable on a terminal; other lines pass through unchanged. */
function pretty(line) {
  if (!line.startsWith('{')) return line;
  try {
    const rest = JSON.parse(line);
    const { time, level, msg, context } = rest;
    for (const key of ['time', 'level', 'msg', 'context', 'service', 'pid', 'hostname']) delete rest[key];
    const clock = typeof time === 'string' ? time.slice(11, 19) : '';
    const label = String(level ?? '').toUpperCase();
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${clock} ${label.padEnd(5)} ${context ? `[${context}] ` : ''}${msg ?? ''}${extra}`;
  } catch {
    return line;
  }
}

function startApp(app, env, width, built) {
  const { command, args, env: tsEnv } = built
    ? jsCommand(builtEntry(app.name, DEFAULT_OUT), nodeFlags(app.name))
    : tsCommand(`apps/${app.name}/src/main.ts`, nodeFlags(app.name));
  // detached: the app gets its own process group, so Ctrl-C reaches only this script, which
  // then stops the apps in order.
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...env, ...tsEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const proc = { ...app, child, tail: [], exit: undefined };
  const format = process.stdout.isTTY ? pretty : (line) => line;
  const prefix = `${app.name.padEnd(width)} | `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        // The tail shown on failure skips our own readiness probes: their answer is shown anyway.
        if (!line.includes('/health/ready')) proc.tail.push(line);
        if (proc.tail.length > TAIL_LINES) proc.tail.shift();
        process.stdout.write(`${prefix}${format(line)}\n`);
      }
    });
  }
  proc.exited = new Promise((resolvePromise) => {
    child.on('error', (error) => {
      proc.exit ??= `could not be started: ${error.message}`;
      resolvePromise();
    });
    child.on('exit', (code, signal) => {
      proc.exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolvePromise();
    });
  });
  return proc;
}

/** Resolves when the app answers 200 on /health/ready; throws when it exits or times out. */
async function waitReady(proc) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  for (;;) {
    if (proc.exit) throw new Error(`${proc.name} ${proc.exit} during startup`);
    try {
      const response = await fetch(`${proc.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name} not ready after ${READY_TIMEOUT_MS / 1000}s (last answer from /health/ready: ${last})`,
      );
    }
    await Promise.race([sleep(1000), proc.exited]);
  }
}

/** SIGTERM the app's process group, SIGKILL it if it is still there after STOP_TIMEOUT_MS. */
async function stopApp(proc) {
  if (proc.exit) return;
  const signal = (sig) => {
    try {
      process.kill(-proc.child.pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timedOut = await Promise.race([
    proc.exited.then(() => false),
    sleep(STOP_TIMEOUT_MS).then(() => true),
  ]);
  if (timedOut) {
    say(`${proc.name} still running after ${STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`);
    signal('SIGKILL');
    await proc.exited;
  }
  say(`${proc.name} stopped`);
}

// --- main ----------------------------------------------------------------------

/** `--built` (or WARDEN_BUILT=1): run the compiled apps of dist/. No other argument is known. */
function parseArgs(argv) {
  let built = process.env.WARDEN_BUILT === '1' || process.env.WARDEN_BUILT === 'true';
  for (const arg of argv) {
    if (arg === '--built') built = true;
    else throw new Error(`unknown argument ${arg} (the only one is --built: run the compiled apps of dist/)`);
  }
  return { built };
}

/** Builds dist/ unless it is current for `apps`. */
async function ensureBuild(apps) {
  const stale = buildStaleness(DEFAULT_OUT, apps);
  if (!stale) return say('running the compiled apps of dist/ (current with the sources)');
  say(`${stale}: building (npm run build)`);
  await buildApps({ out: DEFAULT_OUT, log: (line) => process.stderr.write(`build: ${line}\n`) });
}

async function main() {
  const { built } = parseArgs(process.argv.slice(2));
  const apps = discoverApps();
  if (apps.length === 0) throw new Error('no apps found (expected apps/<app>/src/main.ts)');

  const host = process.env.HOST || '127.0.0.1';
  const reachHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const urlHost = reachHost.includes(':') ? `[${reachHost}]` : reachHost;
  const planned = apps.map((name) => {
    const port = appPort(name);
    return { name, port, url: `http://${urlHost}:${port}` };
  });
  for (const app of planned) {
    if (await canConnect(reachHost, app.port)) {
      throw new Error(
        `port ${app.port} for ${app.name} is already in use; stop what listens there or set ${portVariable(app.name)}`,
      );
    }
  }

  const ports = portEnv(); // validates every <APP>_PORT before anything starts
  if (built) await ensureBuild(apps);
  const admin = resolveAdmin(process.env);
  const keks = resolveKeks(process.env);
  const blindIndexKey = resolveBlindIndexKey(process.env);
  const serviceClients = resolveServiceClients(process.env);

  // Signals: during the infra step, remember them and stop right after it; later, stop at once.
  let infra = null;
  let procs = [];
  let stopping = false;
  let interrupted;
  const shutdown = async (code, reason) => {
    if (stopping) return;
    stopping = true;
    if (reason) say(reason);
    await Promise.all(procs.map(stopApp));
    await infra?.stop();
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (stopping) return say(`${sig} received; already stopping`);
      if (!infra) {
        interrupted = sig;
        return say(`${sig} received; stopping once the infrastructure step is done`);
      }
      void shutdown(0, `${sig} received; stopping`);
    });
  }

  infra = await ensureInfra({ log: (line) => process.stderr.write(`infra: ${line}\n`) });
  if (interrupted) return shutdown(0, 'interrupted; stopping');

  const env = {
    ...process.env,
    PATH: childPath(),
    DATABASE_URL: infra.DATABASE_URL,
    REDIS_URL: infra.REDIS_URL,
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
    ...ports,
    WARDEN_ADMIN_USERNAME: admin.username,
    WARDEN_ADMIN_PASSWORD: admin.password,
    WARDEN_KEKS: keks,
    CUSTOMER_RECORDS_BLIND_INDEX_KEY: blindIndexKey,
    EXPORTS_FINGERPRINT_KEY: resolveFingerprintKey(process.env),
    AUDIT_SIGNING_KEY: resolveAuditSigningKey(process.env),
  };
  const width = Math.max(...apps.map((name) => name.length));
  say(`starting ${apps.join(', ')}${built ? ' (compiled, from dist/)' : ''}`);
  procs = planned.map((app) =>
    startApp(app, { ...env, ...serviceClientEnv(app.name, serviceClients) }, width, built),
  );

  try {
    await Promise.all(procs.map(waitReady));
  } catch (error) {
    if (stopping) return;
    const failed = procs.find((p) => error.message.startsWith(`${p.name} `));
    say(`error: ${error.message}`);
    if (failed?.tail.length) {
      say(`last output of ${failed.name}:`);
      for (const line of failed.tail) process.stderr.write(`  ${line}\n`);
    }
    announceAdmin(admin);
    return shutdown(1);
  }
  if (stopping) return;

  // After startup, an app that dies takes the stack down: a half-running stack misleads.
  for (const proc of procs) {
    void proc.exited.then(() => shutdown(1, `${proc.name} ${proc.exit}; stopping the stack`));
  }

  const rows = [
    ['app', 'URL', 'API docs'],
    ...procs.map((p) => [p.name, p.url, p.name === 'gateway' ? '(the console; /api/<service>/…)' : `${p.url}/docs`]),
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  console.log('\nWarden is ready:\n');
  for (const row of rows)
    console.log(`  ${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2]}`);
  const gateway = procs.find((p) => p.name === 'gateway');
  if (gateway) {
    console.log(`\n  Open the console: ${gateway.url}`);
    if (!existsSync(join(ROOT, 'apps/console/dist/index.html'))) {
      console.log('  (the console is not built yet: run `npm run console:build`, then reload)');
    }
  }
  console.log(`\n  postgres: ${redactUrl(infra.DATABASE_URL)}`);
  console.log(`  redis:    ${redactUrl(infra.REDIS_URL)}`);
  console.log(`  kafka:    ${infra.KAFKA_BROKERS}`);
  console.log(
    `  started by this run: ${infra.started.length ? infra.started.join(', ') : 'no infrastructure (all was running)'}`,
  );
  announceAdmin(admin);
  console.log('\nPress Ctrl-C to stop.\n');
}

main().catch((error) => {
  say(`error: ${error.message}`);
  process.exit(1);
});
