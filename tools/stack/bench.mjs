// `npm run bench`: runs bench/src/main.ts (see bench/) against real infrastructure.
// Brings up Postgres, Redis and Kafka where missing, runs the benchmarks on the test database
// (warden_test unless DATABASE_URL is set), then stops only what it started.
// Arguments and BENCH_* variables go to the benchmarks unchanged.
import { spawn } from 'node:child_process';
import { ROOT, childPath, tsCommand } from './apps.mjs';
import { TEST_DATABASE, ensureInfra, withDatabase } from './infra.mjs';

const infra = await ensureInfra({ log: (line) => process.stderr.write(`infra: ${line}\n`) });
const { command, args, env } = tsCommand('bench/src/main.ts');
const child = spawn(command, [...args, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: {
    ...process.env,
    ...env,
    PATH: childPath(),
    DATABASE_URL: process.env.DATABASE_URL || withDatabase(infra.DATABASE_URL, TEST_DATABASE),
    REDIS_URL: infra.REDIS_URL,
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
  },
});
// Ctrl-C reaches the benchmark directly (it cleans up after itself); SIGTERM is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
const code = await new Promise((resolvePromise) => {
  child.on('error', (error) => {
    process.stderr.write(`bench: could not run: ${error.message}\n`);
    resolvePromise(1);
  });
  child.on('close', (exitCode, signal) => resolvePromise(exitCode ?? (signal ? 1 : 0)));
});
await infra.stop();
process.exit(code);
