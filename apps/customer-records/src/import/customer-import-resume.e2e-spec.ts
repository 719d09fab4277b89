import { randomBytes, randomUUID } from 'node:crypto';
import {
  connectTestSchema,
  dropTestSchema,
  expectEventually,
  freePort,
  launchApp,
  testEnv,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { DataSource } from 'typeorm';
import { AbilityStub } from '../test/ability-stub';
import type { ImportProgress } from './customer-import.dto';
import { IMPORT_BATCH_SIZE } from './customer-import.service';

const ROWS = 1500;
const BAD = { 150: 'email', 700: 'classification', 1400: 'email' } as const;

/**
 * A bulk import survives a crash: the app is SIGKILLed while it registers the rows (a batch in
 * flight), started again on the same schema and keys, and the import resumes by itself where it
 * stopped: exactly the file's customers, none twice, and the report an uninterrupted import gives.
 */
describe('customer-records: an import interrupted by a crash resumes after the restart', () => {
  jest.setTimeout(300_000);
  const owner = randomUUID();
  const team = `team-resume-${randomUUID()}`;
  const schema = uniqueName('e2e_import_resume');
  const env = testEnv();
  let issuer: TestTokenIssuer;
  let stub: AbilityStub;
  let app: LaunchedApp | null = null;
  let db: DataSource;
  let token = '';
  let appEnv: Record<string, string> = {};

  const launch = async () => {
    const port = await freePort();
    return launchApp('customer-records', { port, env: { ...appEnv, CUSTOMER_RECORDS_PORT: String(port) }, readyTimeoutMs: 120_000 });
  };
  const progressOf = async (importId: string): Promise<ImportProgress> => {
    const res = await fetch(`${(app as LaunchedApp).url}/v1/customers/imports/${importId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as ImportProgress;
  };

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    stub = await AbilityStub.start({ [owner]: { roles: ['staff'], teamIds: [team] } });
    appEnv = {
      CUSTOMER_RECORDS_DB_SCHEMA: schema,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('e2e-import-resume'),
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTHORIZATION_URL: stub.url,
      WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
      CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      CUSTOMER_RECORDS_IMPORT_SWEEP_MS: '500',
    };
    app = await launch();
    db = await connectTestSchema(schema, 'e2e-import-resume');
    token = await issuer.issue({ userId: owner, roles: ['staff'], teamId: team });
  });

  afterAll(async () => {
    await app?.stop();
    await stub?.stop();
    await issuer?.stop();
    await dropTestSchema(db, schema);
  });

  it(`completes a ${ROWS}-row import after a SIGKILL mid-way with exactly ${ROWS - 3} customers and the 3 row errors`, async () => {
    const marker = `res${randomUUID().slice(0, 8)}`;
    const lines = ['name,tags,classification,teamId,mobile,email'];
    for (let row = 1; row <= ROWS; row += 1) {
      const email = BAD[row as keyof typeof BAD] === 'email' ? `bad-${row}` : `r${row}@example.org`;
      const classification = BAD[row as keyof typeof BAD] === 'classification' ? 'secret' : 'internal';
      lines.push(`${marker} Customer ${row},${marker},${classification},${team},138${String(row).padStart(8, '0')},${email}`);
    }
    const res = await fetch(`${(app as LaunchedApp).url}/v1/customers/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: `${lines.join('\n')}\n`,
    });
    expect(res.status).toBe(202);
    const { importId } = (await res.json()) as { importId: string };

    // Killed once a few batches are saved, with the next one being registered.
    await expectEventually(
      async () => {
        const progress = await progressOf(importId);
        expect(progress.status).toBe('running');
        if (progress.rowsDone < 400) throw new Error(`only ${progress.rowsDone} rows done`);
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    await (app as LaunchedApp).kill();
    expect((app as LaunchedApp).process.signalCode).toBe('SIGKILL');
    const [interrupted] = await db.query(
      `SELECT i.status, i.rows_read, (SELECT count(*)::int FROM "${schema}".customers WHERE $2 = ANY(tags)) AS customers
       FROM "${schema}".customer_imports i WHERE i.id = $1`,
      [importId, marker],
    );
    expect(interrupted.status).toBe('running');
    expect(interrupted.rows_read).toBeGreaterThanOrEqual(400);
    expect(interrupted.customers).toBeGreaterThanOrEqual(interrupted.rows_read - 3);
    expect(interrupted.customers).toBeLessThan(ROWS - 3);

    app = await launch();
    const progress = await expectEventually(
      async () => {
        const current = await progressOf(importId);
        if (current.status === 'running') throw new Error(`still running: ${current.rowsDone} done`);
        return current;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    expect(progress).toMatchObject({ importId, status: 'completed', rowsTotal: ROWS, rowsDone: ROWS - 3, rowsFailed: 3 });
    expect(progress.errors.map((e) => [e.row, e.field])).toEqual(Object.entries(BAD).map(([row, field]) => [Number(row), field]));

    const [{ n, names, encrypted }] = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT name)::int AS names, count(mobile_ciphertext)::int AS encrypted
       FROM "${schema}".customers WHERE $1 = ANY(tags)`,
      [marker],
    );
    expect({ n, names, encrypted }).toEqual({ n: ROWS - 3, names: ROWS - 3, encrypted: ROWS - 3 });
    const [{ registrations }] = await db.query(
      `SELECT count(*)::int AS registrations FROM "${schema}".events WHERE type = 'CustomerRegistered' AND causation_id LIKE $1`,
      [`import:${importId}:%`],
    );
    expect(registrations).toBe(ROWS - 3);
    // The stored upload and its key are gone once the import has ended.
    const [stored] = await db.query(
      `SELECT i.spool, i.requester, (SELECT count(*)::int FROM "${schema}".customer_import_chunks c WHERE c.import_id = i.id) AS chunks,
         (SELECT count(*)::int FROM "${schema}".customer_data_keys k WHERE k.subject_id = i.id::text) AS keys
       FROM "${schema}".customer_imports i WHERE i.id = $1`,
      [importId],
    );
    expect(stored).toEqual({ spool: null, requester: null, chunks: 0, keys: 0 });
  });

  describe('an error that is not the file', () => {
    // More than one batch, so that a refusal comes with rows still to read.
    const rows = IMPORT_BATCH_SIZE + 50;
    const post = async (marker: string): Promise<string> => {
      const lines = ['name,tags,classification,teamId,mobile'];
      for (let row = 1; row <= rows; row += 1) lines.push(`${marker} Customer ${row},${marker},internal,${team},139${String(row).padStart(8, '0')}`);
      const res = await fetch(`${(app as LaunchedApp).url}/v1/customers/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: `${lines.join('\n')}\n`,
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { importId: string }).importId;
    };
    const finished = (importId: string) =>
      expectEventually(
        async () => {
          const current = await progressOf(importId);
          if (current.status === 'running') throw new Error(`still running: ${current.rowsDone} done`);
          return current;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    const customersTagged = async (marker: string): Promise<number> =>
      (await db.query(`SELECT count(*)::int AS n FROM "${schema}".customers WHERE $1 = ANY(tags)`, [marker]))[0].n;

    // Saving an import's progress fails for the next `refuse(n)` attempts: the rows are registered,
    // then the database refuses the statement that records them (as it would while failing over).
    // The count is a sequence, which the refusal's rollback does not undo.
    const refuse = async (n: number) => {
      await db.query(`SELECT setval('"${schema}".fault_seq', 1, false)`);
      await db.query(`UPDATE "${schema}".faults SET refusals = $1`, [n]);
    };
    beforeAll(async () => {
      await db.query(`CREATE SEQUENCE "${schema}".fault_seq`);
      await db.query(`CREATE TABLE "${schema}".faults (refusals bigint NOT NULL)`);
      await db.query(`INSERT INTO "${schema}".faults VALUES (0)`);
      await db.query(`
        CREATE FUNCTION "${schema}".refuse_progress() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.rows_done > OLD.rows_done AND nextval('"${schema}".fault_seq') <= (SELECT refusals FROM "${schema}".faults) THEN
            RAISE EXCEPTION 'injected fault: progress refused';
          END IF;
          RETURN NEW;
        END $$`);
      await db.query(
        `CREATE TRIGGER refuse_progress BEFORE UPDATE ON "${schema}".customer_imports FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_progress()`,
      );
    });

    it('is interrupted, not failed: a sweep resumes it and every row is registered once', async () => {
      await refuse(2);
      const marker = `int${randomUUID().slice(0, 8)}`;
      const importId = await post(marker);
      const progress = await finished(importId);
      expect(progress).toMatchObject({ status: 'completed', rowsTotal: rows, rowsDone: rows, rowsFailed: 0, errors: [] });
      expect(await customersTagged(marker)).toBe(rows);
    });

    it(`fails the import, saying so, once it keeps being interrupted at the same row`, async () => {
      await refuse(1_000_000);
      const marker = `perm${randomUUID().slice(0, 8)}`;
      const importId = await post(marker);
      const progress = await finished(importId);
      await refuse(0);
      expect(progress).toMatchObject({ status: 'failed', rowsDone: 0 });
      expect(progress.errors).toEqual([expect.objectContaining({ row: 1, field: 'file', message: expect.stringContaining('internal error interrupted the import 5 times') })]);
      expect(progress.errors[0].message).not.toContain('could not be read');
      // The first batch's rows were registered before each refusal, once each (a resumed run knows
      // them by their causation ids); the rows after it were never read.
      expect(await customersTagged(marker)).toBe(IMPORT_BATCH_SIZE);
    });
  });
});
