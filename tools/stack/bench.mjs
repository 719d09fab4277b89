// `npm run bench`: runs bench/src/main.ts (see bench/) against real infrastructure.
// Brings up Postgres, Redis and Kafka where missing, runs the benchmarks on the test database
// (warden_test unless DATABASE_URL is set), then stops only what it started.
// Arguments and BENCH_* variables go to the benchmarks unchanged.
import { spawn } from 'node:child_process';
import { ROOT, childPath, tsCommand } from './apps.mjs';
import { TEST_DATABASE, ensureInfra, withDatabase } from './infra.mjs';

// Without BENCH_ONLY every suite runs, one after the other (each prints its own table and writes
// its own file under bench/results/): the event store and relay, then one suite per service.
// BENCH_ONLY picks one suite (`authz`, `customers`, `exports`, `offboarding`, `audit`, `alerting`)
// or some of the core benchmarks (`append,relay,lag`).
const SUITES = [
  { name: 'event store and relay', only: undefined },
  { name: 'authorization', only: 'authz' },
  { name: 'customer-records', only: 'customers' },
  { name: 'exports', only: 'exports' },
  { name: 'offboarding', only: 'offboarding' },
  { name: 'audit', only: 'audit' },
  { name: 'anomaly-alerting', only: 'alerting' },
];

const infra = await ensureInfra({ log: (line) => process.stderr.write(`infra: ${line}\n`) });
const { command, args, env } = tsCommand('bench/src/main.ts');
let current = null;
// Ctrl-C reaches the benchmark directly (it cleans up after itself); SIGTERM is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => current?.kill('SIGTERM'));

function runSuite(only) {
  const suiteEnv = {
    ...process.env,
    ...env,
    PATH: childPath(),
    DATABASE_URL: process.env.DATABASE_URL || withDatabase(infra.DATABASE_URL, TEST_DATABASE),
    REDIS_URL: infra.REDIS_URL,
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
  };
  if (only === undefined) delete suiteEnv.BENCH_ONLY;
  else suiteEnv.BENCH_ONLY = only;
  current = spawn(command, [...args, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env: suiteEnv });
  return new Promise((resolvePromise) => {
    current.on('error', (error) => {
      process.stderr.write(`bench: could not run: ${error.message}\n`);
      resolvePromise(1);
    });
    current.on('close', (exitCode, signal) => resolvePromise(exitCode ?? (signal ? 1 : 0)));
  });
}

let code = 0;
if (process.env.BENCH_ONLY) {
  code = await runSuite(process.env.BENCH_ONLY);
} else {
  const failed = [];
  for (const suite of SUITES) {
    process.stderr.write(`\nbench: ==> ${suite.name}\n`);
    const exitCode = await runSuite(suite.only);
    if (exitCode !== 0) failed.push(suite.name);
  }
  if (failed.length > 0) process.stderr.write(`bench: failed suites: ${failed.join(', ')}\n`);
  code = failed.length > 0 ? 1 : 0;
}
await infra.stop();
process.exit(code);
