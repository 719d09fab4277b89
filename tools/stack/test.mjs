// `npm test`: every project's Jest tiers (unit, int, e2e) through Nx, against real infrastructure.
//
// Brings up Postgres, Redis and Kafka where missing (infra.mjs), runs
//   nx run-many -t test --parallel=1 --outputStyle=stream [args after --]
// on the database `warden_test` (unless DATABASE_URL is set), stops what it started, and ends
// with one line `N passed, N failed` summed over the `Tests:` lines Jest printed.
//
//   npm test -- --projects=contracts      extra arguments go to nx
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ROOT, childPath } from './apps.mjs';
import { TEST_DATABASE, ensureInfra, withDatabase } from './infra.mjs';

/** Adds the counts of one Jest `Tests:` line (e.g. `Tests: 1 failed, 2 passed, 3 total`) to `totals`. */
export function addJestTotals(line, totals) {
  const match = /\bTests:\s+(.*)$/.exec(stripVTControlCharacters(line));
  if (!match) return false;
  for (const [, count, kind] of match[1].matchAll(/(\d+) (passed|failed)\b/g)) totals[kind] += Number(count);
  return true;
}

/** Runs nx, echoing its output and summing Jest's totals. Resolves with nx's exit code. */
function runNx(args, env, totals) {
  const nx = realpathSync(join(ROOT, 'node_modules/.bin/nx'));
  const argv = ['run-many', '-t', 'test', '--parallel=1', '--outputStyle=stream', ...args];
  process.stderr.write(`test: nx ${argv.join(' ')}\n`);
  // Run nx's script with this Node (24), whatever `node` is first on PATH.
  const child = spawn(process.execPath, [nx, ...argv], {
    cwd: ROOT,
    env,
    stdio: ['inherit', 'pipe', 'pipe'],
  });

  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      out.write(chunk);
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) addJestTotals(line, totals);
    });
    stream.on('end', () => addJestTotals(buffered, totals));
  }

  // Ctrl-C in a terminal reaches nx and Jest directly; SIGTERM sent to this script is passed on.
  // Either way this script waits for nx, then stops the infrastructure.
  process.on('SIGINT', () => process.stderr.write('test: interrupted; waiting for nx to stop\n'));
  process.on('SIGTERM', () => child.kill('SIGTERM'));

  return new Promise((resolvePromise) => {
    child.on('error', (error) => {
      process.stderr.write(`test: could not run nx: ${error.message}\n`);
      resolvePromise(1);
    });
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift(); // `node test.mjs -- --projects=x` as well as `npm test -- ...`

  const infra = await ensureInfra({ log: (line) => process.stderr.write(`infra: ${line}\n`) });
  const env = {
    ...process.env,
    PATH: childPath(),
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules --no-warnings']
      .filter(Boolean)
      .join(' '),
    DATABASE_URL: process.env.DATABASE_URL || withDatabase(infra.DATABASE_URL, TEST_DATABASE),
    REDIS_URL: infra.REDIS_URL,
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    ...(process.stdout.isTTY && !process.env.NO_COLOR && !process.env.FORCE_COLOR
      ? { FORCE_COLOR: '1' }
      : {}),
  };

  const totals = { passed: 0, failed: 0 };
  let code;
  try {
    code = await runNx(args, env, totals);
  } finally {
    await infra.stop();
  }
  if (code !== 0) process.stderr.write(`test: nx exited with code ${code}\n`);
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
  return code;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`test: error: ${error.message}\n`);
      process.stdout.write('0 passed, 0 failed\n');
      process.exit(1);
    },
  );
}
