import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { encryptField, generateDataKey, StaticKeyProvider } from '@warden/crypto';

/**
 * Fills the read model of a running customer-records app (its `customers` and
 * `customer_data_keys` tables, created by its migrations) with `count` active customers of one
 * owner and team, fast: rows are produced here and streamed into two `psql \copy … FROM STDIN`
 * processes. Sensitive fields are real: each customer gets its own data key wrapped by the app's
 * KEK keyring, and `mobile` / `email` encrypted with it by the same helpers the app uses
 * (`encryptField` bound to `customerId|field`), so a stream that shows them has to decrypt them.
 * Blind-index columns are left empty (nothing here searches by them).
 */
export type SeedOptions = {
  databaseUrl: string;
  /** customer-records' schema (`CUSTOMER_RECORDS_DB_SCHEMA`). */
  schema: string;
  /** customer-records' `WARDEN_KEKS`. */
  keks: string;
  ownerId: string;
  teamId: string;
  count: number;
  /** Numbers names from here (to tell batches apart); default 0. */
  firstIndex?: number;
  /** Return the ids (for small seeds that a test checks row by row). */
  collectIds?: boolean;
  /**
   * customer-records' masking of a sensitive field (its `maskSensitive`): when given, the rows also
   * get the masked forms of `mobile` / `email` (`mobile_masked`, `email_masked`), as the service
   * writes them with each registration; without it they stay NULL, as rows written before those
   * columns existed (a masked read then decrypts).
   */
  mask?: (field: 'mobile' | 'email', value: string) => string;
};

/** Runs `psql` with one command (a `\copy … FROM STDIN` reads the returned stdin); resolves when it committed. */
function runPsql(databaseUrl: string, command: string): { stdin: Writable; done: Promise<void> } {
  const child = spawn('psql', [databaseUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy failed (${code}): ${stderr}`))));
  });
  // An early psql failure surfaces through `done`; a write after it must not crash the process.
  child.stdin.on('error', () => undefined);
  return { stdin: child.stdin, done };
}

const write = async (stream: Writable, text: string): Promise<void> => {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
};

/** A CSV field (quoted, quotes doubled). */
const csvText = (value: string): string => `"${value.replaceAll('"', '""')}"`;

export async function seedCustomers(options: SeedOptions): Promise<{ ids: string[] }> {
  const { databaseUrl, schema, ownerId, teamId, count } = options;
  const first = options.firstIndex ?? 0;
  const provider = StaticKeyProvider.fromKeyring(options.keks);
  const keys = runPsql(databaseUrl, `\\copy "${schema}".customer_data_keys (subject_id, kek_version, ciphertext) FROM STDIN WITH (FORMAT csv)`);
  const customers = runPsql(
    databaseUrl,
    `\\copy "${schema}".customers (id, name, company, tags, classification, owner_id, team_id, status, version, created_at, updated_at, mobile_ciphertext, email_ciphertext${options.mask ? ', mobile_masked, email_masked' : ''}) FROM STDIN WITH (FORMAT csv)`,
  );
  const ids: string[] = [];
  const now = new Date().toISOString();
  const batch = 2000;
  try {
    for (let start = 0; start < count; start += batch) {
      let keyLines = '';
      let customerLines = '';
      for (let i = start; i < Math.min(count, start + batch); i += 1) {
        const n = first + i;
        const id = randomUUID();
        if (options.collectIds) ids.push(id);
        const dataKey = generateDataKey();
        const wrapped = await provider.wrap(dataKey);
        const mobile = `+86 139-${String(n % 10_000).padStart(4, '0')}-${String((n * 7919) % 10_000).padStart(4, '0')}`;
        const email = `customer${n}@example.org`;
        const mobileToken = encryptField(dataKey, mobile, { subjectId: id, field: 'mobile' });
        const emailToken = encryptField(dataKey, email, { subjectId: id, field: 'email' });
        dataKey.fill(0);
        keyLines += `${id},${wrapped.kekVersion},${wrapped.ciphertext}\n`;
        const masked = options.mask ? `,${csvText(options.mask('mobile', mobile))},${csvText(options.mask('email', email))}` : '';
        customerLines += `${id},Customer ${n},Company ${n % 997} Ltd,"{seed,segment-${n % 13}}",internal,${ownerId},${teamId},active,1,${now},${now},${mobileToken},${emailToken}${masked}\n`;
      }
      await Promise.all([write(keys.stdin, keyLines), write(customers.stdin, customerLines)]);
    }
  } finally {
    keys.stdin.end();
    customers.stdin.end();
  }
  await Promise.all([keys.done, customers.done]);
  return { ids };
}

/** `ANALYZE` of the seeded tables, as autovacuum would do on a live database. */
export async function analyzeCustomers(databaseUrl: string, schema: string): Promise<void> {
  const run = runPsql(databaseUrl, `ANALYZE "${schema}".customers; ANALYZE "${schema}".customer_data_keys`);
  run.stdin.end();
  await run.done;
}
