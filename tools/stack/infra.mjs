// Local infrastructure for Warden: Postgres, Redis and Kafka.
//
// ensureInfra() makes sure all three answer, starting the ones that are missing when they are
// configured on this machine's default addresses, creates the databases, and returns a stop()
// that stops only what it started. Anything configured elsewhere must already be running.
//
// CLI:
//   node tools/stack/infra.mjs up      start what is missing and leave it running
//   node tools/stack/infra.mjs down    stop what `up` started (recorded in $WARDEN_STATE_DIR)
//   node tools/stack/infra.mjs status  show what answers; exit 1 if something does not
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ROOT } from './apps.mjs';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/warden';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const TEST_DATABASE = 'warden_test';

const KAFKA_SH = join(ROOT, 'deploy/local/kafka.sh');
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const defaultLog = (line) => process.stderr.write(`infra: ${line}\n`);

export const stateDir = (env = process.env) =>
  env.WARDEN_STATE_DIR || join(env.WARDEN_CACHE_DIR || join(homedir(), '.cache/warden'), 'state');

/** The URLs everything connects to: the environment, else the local defaults. */
export function resolveInfraConfig(env = process.env) {
  return {
    DATABASE_URL: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    REDIS_URL: env.REDIS_URL || DEFAULT_REDIS_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS || `127.0.0.1:${env.KAFKA_PORT || 9092}`,
  };
}

/** `url` with a different database, e.g. the test database on the same server. */
export function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A URL safe to print: the password is hidden. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

// --- probes ------------------------------------------------------------------

/** True when a TCP connection to host:port succeeds within `ms`. */
export function canConnect(host, port, ms = 1000) {
  return new Promise((resolvePromise) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Sends one raw Redis command and resolves with the first reply line ('' when the server closed). */
function redisCommand(host, port, words, ms = 2000) {
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    socket.setTimeout(ms, () => {
      socket.destroy();
      reject(new Error(`redis on ${host}:${port} did not answer`));
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.write(
        `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`,
      ),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolvePromise(reply.split('\r\n')[0]);
      }
    });
    socket.once('close', () => resolvePromise(reply.split('\r\n')[0]));
  });
}

async function waitFor(what, check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms / 1000}s`);
    await sleep(300);
  }
}

const hostPort = (url, defaultPort) => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
};

// --- Postgres ----------------------------------------------------------------

function postgresVersion() {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) return undefined;
  return versions.sort((a, b) => Number(b) - Number(a))[0];
}

function run(command, args, log) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  for (const line of `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')) {
    if (line.trim()) log(`  ${line}`);
  }
  if (result.error) throw new Error(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

async function ensurePostgres(url, log, started) {
  const { host, port } = hostPort(url, 5432);
  if (await canConnect(host, port)) {
    log(`postgres: answering on ${host}:${port}`);
    return;
  }
  if (!LOCAL_HOSTS.has(host) || port !== 5432) {
    throw new Error(
      `Postgres at ${host}:${port} (DATABASE_URL=${redactUrl(url)}) is unreachable; start it or fix DATABASE_URL`,
    );
  }
  const version = postgresVersion();
  if (!version) {
    throw new Error(
      'Postgres is not running on 127.0.0.1:5432 and no cluster was found in /etc/postgresql; start Postgres 15',
    );
  }
  log(`postgres: not running; starting cluster ${version}/main`);
  run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], log);
  started.push({ name: 'postgres', version });
  await waitFor('postgres', () => canConnect(host, port), 30_000);
  log(`postgres: started on ${host}:${port}`);
}

/** Creates each database that does not exist yet, connecting to the `postgres` database. */
async function createDatabases(url, databases, log) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({
      connectionString: withDatabase(url, 'postgres'),
      connectionTimeoutMillis: 5000,
    });
    try {
      await client.connect();
      for (const name of databases) {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (rowCount > 0) continue;
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
          log(`postgres: created database ${name}`);
        } catch (error) {
          if (error.code !== '42P04' && error.code !== '23505') throw error; // created concurrently
        }
      }
      return;
    } catch (error) {
      // 57P03: the server is still starting up.
      const transient = error.code === '57P03' || error.code === 'ECONNREFUSED';
      if (!transient || Date.now() > deadline) {
        throw new Error(
          `could not create databases ${databases.join(', ')} on ${redactUrl(url)}: ${error.message}`,
        );
      }
      await sleep(500);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

// --- Redis -------------------------------------------------------------------

const redisAnswers = async (host, port) => {
  const reply = await redisCommand(host, port, ['PING']);
  return reply === '+PONG' || reply.startsWith('-NOAUTH'); // NOAUTH: up, but wants a password
};

async function ensureRedis(url, log, started) {
  const { host, port } = hostPort(url, 6379);
  if (await canConnect(host, port)) {
    log(`redis: answering on ${host}:${port}`);
    return;
  }
  if (!LOCAL_HOSTS.has(host) || port !== 6379) {
    throw new Error(
      `Redis at ${host}:${port} (REDIS_URL=${redactUrl(url)}) is unreachable; start it or fix REDIS_URL`,
    );
  }
  log('redis: not running; starting redis-server on 127.0.0.1:6379');
  // prettier-ignore
  run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '',
    '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'], log);
  started.push({ name: 'redis', port: 6379 });
  await waitFor('redis', () => redisAnswers('127.0.0.1', 6379), 30_000);
  log('redis: started on 127.0.0.1:6379');
}

// --- Kafka -------------------------------------------------------------------

/** Runs `kafka.sh <command>` for the broker on `port`, relaying its messages to `log`. */
function kafkaSh(command, port, log, env) {
  return new Promise((resolvePromise) => {
    // detached: Ctrl-C in the terminal must not interrupt a start or stop half-way.
    const child = spawn('bash', [KAFKA_SH, command], {
      // Controller port: as configured, else next to the client port (9092 → 9093, 29092 → 29093).
      env: {
        ...env,
        KAFKA_PORT: String(port),
        KAFKA_CONTROLLER_PORT: env.KAFKA_CONTROLLER_PORT || String(port + 1),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let buffered = '';
    const relay = (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) if (line.trim()) log(line);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', (error) => {
      log(`kafka: could not run kafka.sh: ${error.message}`);
      resolvePromise(1);
    });
    child.on('close', (code) => {
      if (buffered.trim()) log(buffered);
      resolvePromise(code ?? 1);
    });
  });
}

/** True when kafka.sh has a broker process for this port (it may still be starting). */
function kafkaShBrokerAlive(port, env) {
  try {
    const pid = Number(readFileSync(join(stateDir(env), `kafka-${port}`, 'kafka.pid'), 'utf8'));
    process.kill(pid, 0);
    // On Linux, make sure the pid was not recycled by another program.
    const cmdline = `/proc/${pid}/cmdline`;
    return !existsSync(cmdline) || readFileSync(cmdline, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

async function ensureKafka(brokers, log, started, env) {
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const parsed = list.map((broker) => {
    const at = broker.lastIndexOf(':');
    return { host: broker.slice(0, at), port: Number(broker.slice(at + 1)) };
  });
  for (const { host, port } of parsed) {
    if (await canConnect(host, port)) {
      log(`kafka: answering on ${host}:${port}`);
      return;
    }
  }
  const [only] = parsed;
  if (parsed.length !== 1 || !LOCAL_HOSTS.has(only.host) || !Number.isInteger(only.port)) {
    throw new Error(`Kafka at ${brokers} (KAFKA_BROKERS) is unreachable; start it or fix KAFKA_BROKERS`);
  }
  // A broker of kafka.sh that is still starting belongs to someone else: wait for it, don't own it.
  const ours = !kafkaShBrokerAlive(only.port, env);
  log(
    ours
      ? `kafka: not running; starting it with deploy/local/kafka.sh on port ${only.port}`
      : 'kafka: waiting for the broker that is starting',
  );
  const code = await kafkaSh('start', only.port, log, env);
  if (ours && code !== 0) {
    await kafkaSh('stop', only.port, log, env); // a broker left running by a failed start is ours
  }
  if (code !== 0) throw new Error(`deploy/local/kafka.sh start failed (exit ${code}); see the lines above`);
  if (ours) started.push({ name: 'kafka', port: only.port });
}

// --- start / stop --------------------------------------------------------------

/** Stops the given components (as recorded by ensureInfra), newest first. Never throws. */
export async function stopStarted(components, { log = defaultLog, env = process.env } = {}) {
  for (const component of [...components].reverse()) {
    try {
      if (component.name === 'kafka') {
        const code = await kafkaSh('stop', component.port, log, env);
        if (code !== 0) log(`kafka: kafka.sh stop exited with ${code}`);
      } else if (component.name === 'redis') {
        log(`redis: stopping the server this run started on 127.0.0.1:${component.port}`);
        await redisCommand('127.0.0.1', component.port, ['SHUTDOWN', 'NOSAVE']).catch(() => undefined);
        await waitFor('redis shutdown', async () => !(await canConnect('127.0.0.1', component.port)), 10_000);
        log('redis: stopped');
      } else if (component.name === 'postgres') {
        log(`postgres: stopping cluster ${component.version}/main that this run started`);
        run('pg_ctlcluster', ['--skip-systemctl-redirect', component.version, 'main', 'stop'], log);
        log('postgres: stopped');
      }
    } catch (error) {
      log(`${component.name}: could not stop: ${error.message}`);
    }
  }
}

/**
 * Brings up what is missing (Postgres, Redis, Kafka) and creates the databases.
 * Databases: the one in DATABASE_URL when it is set, else `warden` and `warden_test`.
 * Returns the resolved URLs, the names of what it started, and stop() for exactly those.
 */
export async function ensureInfra({ log = defaultLog, env = process.env } = {}) {
  const config = resolveInfraConfig(env);
  const databases = env.DATABASE_URL
    ? [decodeURIComponent(new URL(env.DATABASE_URL).pathname.slice(1) || 'postgres')]
    : ['warden', TEST_DATABASE];
  const components = [];
  try {
    await ensurePostgres(config.DATABASE_URL, log, components);
    await createDatabases(config.DATABASE_URL, databases, log);
    await ensureRedis(config.REDIS_URL, log, components);
    await ensureKafka(config.KAFKA_BROKERS, log, components, env);
  } catch (error) {
    await stopStarted(components, { log, env });
    throw error;
  }
  let stopped = false;
  return {
    ...config,
    started: components.map((c) => c.name),
    components,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopStarted(components, { log, env });
    },
  };
}

// --- CLI -----------------------------------------------------------------------

async function status(env) {
  const config = resolveInfraConfig(env);
  const pgAt = hostPort(config.DATABASE_URL, 5432);
  const redisAt = hostPort(config.REDIS_URL, 6379);
  const kafkaUp = await Promise.all(
    config.KAFKA_BROKERS.split(',').map((b) => {
      const at = b.trim().lastIndexOf(':');
      return canConnect(b.trim().slice(0, at), Number(b.trim().slice(at + 1)));
    }),
  );
  const rows = [
    ['postgres', await canConnect(pgAt.host, pgAt.port), redactUrl(config.DATABASE_URL)],
    ['redis', await canConnect(redisAt.host, redisAt.port), redactUrl(config.REDIS_URL)],
    ['kafka', kafkaUp.some(Boolean), config.KAFKA_BROKERS],
  ];
  for (const [name, up, where] of rows)
    console.log(`${name.padEnd(9)} ${(up ? 'up' : 'DOWN').padEnd(5)} ${where}`);
  return rows.every(([, up]) => up) ? 0 : 1;
}

async function cli(command) {
  const env = process.env;
  const stateFile = join(stateDir(env), 'infra-started.json');
  const recorded = () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : []);
  switch (command) {
    case 'up': {
      const infra = await ensureInfra({ env });
      if (infra.components.length > 0) {
        mkdirSync(stateDir(env), { recursive: true });
        writeFileSync(stateFile, JSON.stringify([...recorded(), ...infra.components], null, 2));
      }
      defaultLog(
        infra.started.length
          ? `started ${infra.started.join(', ')} ('npm run infra:down' stops them)`
          : 'everything was already running',
      );
      return 0;
    }
    case 'down': {
      const components = recorded();
      if (components.length === 0) {
        defaultLog("nothing to stop: 'infra up' did not start anything (other servers are left alone)");
        return 0;
      }
      await stopStarted(components, { env });
      rmSync(stateFile, { force: true });
      return 0;
    }
    case 'status':
      return status(env);
    default:
      console.error('usage: node tools/stack/infra.mjs up|down|status');
      return 2;
  }
}

if (import.meta.main) {
  cli(process.argv[2]).then(
    (code) => process.exit(code),
    (error) => {
      defaultLog(`error: ${error.message}`);
      process.exit(1);
    },
  );
}
