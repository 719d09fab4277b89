// `npm run audit:verify`: rechecks the whole audit trail in Postgres (hash chains, Merkle leaves,
// every signed checkpoint) and prints the result as JSON. Exit code 0 when intact, 1 when a problem
// was found (each named with its position, event, stream and version), 2 on error.
import { ConfigError, createDataSource } from '@warden/platform';
import { CheckpointSigner } from './checkpoints/checkpoint-signer.util';
import { loadAuditConfig } from './core/config';
import { TrailVerifier } from './verification/trail-verifier';

async function main(): Promise<number> {
  const config = loadAuditConfig();
  const dataSource = createDataSource({ url: config.DATABASE_URL, schema: config.AUDIT_DB_SCHEMA, applicationName: 'audit-verify', migrations: [] });
  await dataSource.initialize();
  try {
    const verifier = new TrailVerifier({
      dataSource,
      schema: config.AUDIT_DB_SCHEMA,
      trustedPublicKey: new CheckpointSigner(config.AUDIT_SIGNING_KEY).publicKeyBase64,
      workers: config.AUDIT_VERIFY_WORKERS,
    });
    const result = await verifier.verify();
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(
      result.ok
        ? `audit:verify: OK — ${result.eventsChecked} events, tree size ${result.treeSize}, ${result.checkpointsChecked} checkpoint(s)\n`
        : `audit:verify: ${result.problemCount} PROBLEM(S) — first at position ${result.problems[0]?.position ?? '?'} (${result.problems[0]?.kind}: ${result.problems[0]?.detail})\n`,
    );
    return result.ok ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(error instanceof ConfigError ? `audit:verify: ${error.message}\n` : `audit:verify failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
