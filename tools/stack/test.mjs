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

/**
 * Collects Jest's failure headers (`● Suite › test`) and the first lines of each error, so that the
 * run can end with a short list of what failed: the end of a long log is often all a reader sees.
 */
export class FailureCollector {
  constructor(maxDetailLines = 6) {
    this.maxDetailLines = maxDetailLines;
    this.failures = new Map();
    this.current = undefined;
  }

  /** Feeds one output line (Nx prefixes it with `project:`). */
  add(rawLine) {
    const line = stripVTControlCharacters(rawLine);
    const prefixed = /^([\w@/.-]+):\s(.*)$/.exec(line);
    const project = prefixed ? prefixed[1] : '';
    const text = prefixed ? prefixed[2] : line;
    const header = /^\s*● (.+)$/.exec(text);
    if (header) {
      const name = header[1].trim();
      if (name === 'Console') {
        this.current = undefined;
        return;
      }
      const key = `${project} ${name}`;
      this.current = this.failures.has(key) ? undefined : { project, name, detail: [] };
      if (this.current) this.failures.set(key, this.current);
      return;
    }
    if (!this.current) return;
    if (/^\s*(PASS|FAIL)\s|Test Suites:|^\s*at /.test(text)) {
      this.current = undefined;
      return;
    }
    if (text.trim() && this.current.detail.length < this.maxDetailLines) this.current.detail.push(text.trim());
  }

  /** The summary block, or '' when nothing failed. */
  summary(limit = 40) {
    const all = [...this.failures.values()];
    if (all.length === 0) return '';
    const lines = [`failed tests (${all.length}):`];
    for (const failure of all.slice(0, limit)) {
      lines.push(`- ${failure.project ? `${failure.project}: ` : ''}${failure.name}`);
      for (const detail of failure.detail) lines.push(`    ${detail}`);
    }
    if (all.length > limit) lines.push(`... and ${all.length - limit} more`);
    return `${lines.join('\n')}\n`;
  }
}

/** Runs nx, echoing its output and summing Jest's totals. Resolves with nx's exit code. */
function runNx(args, env, totals, failures) {
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
      for (const line of lines) {
        addJestTotals(line, totals);
        failures.add(line);
      }
    });
    stream.on('end', () => {
      addJestTotals(buffered, totals);
      failures.add(buffered);
    });
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
  const failures = new FailureCollector();
  let code;
  try {
    code = await runNx(args, env, totals, failures);
  } finally {
    await infra.stop();
  }
  if (code !== 0) process.stderr.write(`test: nx exited with code ${code}\n`);
  process.stdout.write(failures.summary());
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
