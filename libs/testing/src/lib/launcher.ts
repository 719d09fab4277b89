import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { expectEventually } from './eventually';

const root = resolve(__dirname, '../../../..');

export type LaunchedApp = {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
};

/** The Node options an app asks for in `apps/<name>/node.flags` (one per line, `#` comments), as `npm start` reads them. */
export function appNodeFlags(name: string): string[] {
  const file = join(root, 'apps', name, 'node.flags');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export type LaunchOptions = {
  port: number;
  env: Record<string, string>;
  readyTimeoutMs?: number;
  /**
   * A build directory (`npm run build -- --out <dir>`, or `buildApps` of tools/build): the app
   * runs compiled, `node <build>/apps/<name>/src/main.js`, instead of from its source.
   */
  build?: string;
};

/**
 * Starts an app as its own process with `env` (the suite's schema, topic prefix and port) and
 * waits until `/health/ready` answers 200: from `apps/<name>/src/main.ts` through swc-node, or,
 * given `build`, compiled from that build directory. Either way with the app's node.flags.
 */
export async function launchApp(name: string, { port, env, readyTimeoutMs = 60_000, build }: LaunchOptions): Promise<LaunchedApp> {
  let entry: string[];
  let compilerEnv: Record<string, string> = {};
  if (build === undefined) {
    entry = ['-r', '@swc-node/register', `apps/${name}/src/main.ts`];
    compilerEnv = { SWC_NODE_PROJECT: 'tsconfig.base.json' };
  } else {
    const main = join(resolve(build), 'apps', name, 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} does not exist: build ${name} into ${build} first (npm run build -- --out ${build})`);
    entry = [main];
  }
  const child = spawn(process.execPath, [...appNodeFlags(name), ...entry], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      ...compilerEnv,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  try {
    await expectEventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
        const res = await fetch(`${url}/health/ready`);
        if (res.status !== 200) throw new Error(`${name} not ready: ${res.status} ${await res.text()}`);
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    await waitExit('SIGKILL');
    throw new Error(`${name} did not become ready: ${(error as Error).message}\n--- output ---\n${log}`);
  }
  return {
    url,
    process: child,
    output: () => log,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
  };
}

/** Ports handed out by `freePort`, one file each, shared by every test process on the machine. */
const PORT_CLAIMS = join(tmpdir(), 'warden-test-ports');
/** A claim older than this is from a run that has ended (or a suite that no longer needs it). */
const PORT_CLAIM_MS = 30 * 60_000;

/**
 * Claims `port` for this process (a file created only if absent, so that one process wins): false
 * when another test process has it. Where claims cannot be written, the port is taken unclaimed.
 */
export function claimPort(port: number): boolean {
  const file = join(PORT_CLAIMS, String(port));
  try {
    mkdirSync(PORT_CLAIMS, { recursive: true });
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < PORT_CLAIM_MS) return false;
    writeFileSync(file, String(process.pid));
    return true;
  } catch {
    return false;
  }
}

/**
 * A TCP port nothing listens on right now, chosen by the system, and not handed to another test
 * process (suites run side by side, each launching apps): between this answer and the app's
 * `listen`, the system may give the same free port again, and an app that finds its port taken
 * would have another one answer its readiness check. Fixed ranges are not safe: they overlap the
 * ephemeral ports that every client connection (Postgres, Kafka, Redis) takes.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await systemPort();
    if (claimPort(port)) return port;
  }
  return systemPort();
}

/** A TCP port nothing listens on right now, chosen by the system. */
function systemPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}
