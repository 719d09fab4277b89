import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportStreamId } from '@warden/contracts';
import { StaticKeyProvider } from '@warden/crypto';
import {
  connectTestSchema,
  expectEventually,
  freePort,
  launchApp,
  testEnv,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { AuthorizationStub } from '../test/authorization-stub';
import { analyzeCustomers, seedCustomers } from '../test/customer-seed';
import { SegmentDecryptor } from './encrypted-file.util';

type View = { id: string; status: string; rowCount: number | null; completedAt: string | null; progress: { rowsDone: number; rowsTotal: number } };

/** Customers in the export: enough that generation (each row's fields decrypted by customer-records) takes seconds. */
const ROWS = 6_000;

/**
 * Crash safety of generation with real processes: the exports app is SIGKILLed in the middle of a
 * generation (after an `ExportProgressed`, before `ExportCompleted`), started again on the same
 * schema and directory, and the export completes as a new attempt; no half file is ever served.
 */
describe('exports: a generation killed mid-way (running apps)', () => {
  const env = testEnv();
  const prefix = uniqueTopicPrefix('e2e-exports-crash');
  const team = randomUUID();
  const staff = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const keks = `1:${randomBytes(32).toString('base64')}`;
  const exportsSchema = uniqueName('e2e_exports_crash');
  const crSchema = uniqueName('e2e_exp_crash_cr');
  let issuer: TestTokenIssuer;
  let auth: AuthorizationStub;
  let customers: LaunchedApp;
  let app: LaunchedApp;
  const launched: LaunchedApp[] = [];
  let exportsEnv: Record<string, string>;
  let dir: string;
  let db: DataSource;
  let token: string;
  let seeded: Set<string>;

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const viewOf = async (id: string): Promise<View> => {
    const res = await call('GET', `/v1/exports/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as View;
  };
  const launchExports = async (): Promise<LaunchedApp> => {
    const port = await freePort();
    const started = await launchApp('exports', { port, env: { ...exportsEnv, EXPORTS_PORT: String(port) }, readyTimeoutMs: 120_000 });
    launched.push(started);
    return started;
  };
  const requestExport = async (): Promise<string> => {
    const res = await call('POST', '/v1/exports', { fields: ['name', 'company', 'mobile', 'email'], format: 'csv', reason: 'quarterly call list' });
    expect(res.status).toBe(201);
    return ((await res.json()) as View).id;
  };
  /** The first ExportProgressed of the export is in (rows done, not finished). */
  const progressedOnce = (id: string) =>
    expectEventually(
      async () => {
        const view = await viewOf(id);
        expect(view.status).toBe('running');
        expect(view.progress.rowsDone).toBeGreaterThan(0);
        expect(view.progress.rowsDone).toBeLessThan(ROWS);
        return view;
      },
      { timeoutMs: 120_000, intervalMs: 25 },
    );
  const completed = (id: string) =>
    expectEventually(
      async () => {
        const view = await viewOf(id);
        expect(view.status).toBe('completed');
        return view;
      },
      { timeoutMs: 170_000, intervalMs: 250 },
    );
  /** Downloads the export once and checks it holds every seeded customer once, masked. */
  const downloadWhole = async (id: string): Promise<string> => {
    const link = (await (await call('POST', `/v1/exports/${id}/download-link`)).json()) as { token: string };
    const download = await call('GET', `/v1/exports/${id}/download?token=${link.token}`);
    expect(download.status).toBe(200);
    const text = await download.text();
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    const real = rows.filter((row) => seeded.has(row.id));
    expect(real).toHaveLength(ROWS);
    expect(new Set(real.map((row) => row.id)).size).toBe(ROWS);
    expect(rows.length).toBeGreaterThan(ROWS);
    expect(real.find((row) => row.name === 'Customer 7')?.email).toMatch(/^c\*+@example\.org$/);
    expect(text).not.toContain('customer7@example.org');
    return text;
  };
  const eventsOf = async (id: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> =>
    db.query(`SELECT type, data FROM "${exportsSchema}".events WHERE stream_id = $1 ORDER BY stream_version`, [exportStreamId(id)]);

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    auth = await AuthorizationStub.start(issuer, new Map([[staff, { roles: ['staff'], teamIds: [team] }]]), { exports: clientSecret });
    token = await issuer.issue({ userId: staff, roles: ['staff'], teamId: team });
    const common = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTHORIZATION_URL: auth.url,
      WARDEN_KEKS: keks,
    };
    const crPort = await freePort();
    customers = await launchApp('customer-records', {
      port: crPort,
      env: {
        ...common,
        CUSTOMER_RECORDS_PORT: String(crPort),
        CUSTOMER_RECORDS_DB_SCHEMA: crSchema,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
      readyTimeoutMs: 120_000,
    });
    const { ids } = await seedCustomers({ databaseUrl: env.databaseUrl, schema: crSchema, keks, ownerId: staff, teamId: team, count: ROWS, collectIds: true });
    await analyzeCustomers(env.databaseUrl, crSchema);
    seeded = new Set(ids);
    dir = await mkdtemp(join(tmpdir(), 'warden-exports-crash-'));
    exportsEnv = {
      ...common,
      EXPORTS_DB_SCHEMA: exportsSchema,
      // A worker frozen mid-transaction (SIGSTOP) must not hold its locks for good.
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '10000',
      CUSTOMER_RECORDS_URL: customers.url,
      SERVICE_CLIENT_ID: 'exports',
      SERVICE_CLIENT_SECRET: clientSecret,
      EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
      EXPORTS_DIR: dir,
      EXPORTS_POLL_MS: '200',
      EXPORTS_WORKER_LEASE_MS: '3000',
      EXPORTS_PROGRESS_EVERY: '100',
      // No approval in the way: this suite is about generation.
      EXPORTS_ROW_THRESHOLD: String(ROWS * 10),
      EXPORTS_DAILY_ROW_QUOTA: String(ROWS * 10),
    };
    app = await launchExports();
    db = await connectTestSchema(exportsSchema, 'e2e-exports-crash');
  });

  afterAll(async () => {
    for (const instance of launched) {
      if (instance.process.exitCode === null && instance.process.signalCode === null) instance.process.kill('SIGCONT');
      await instance.stop();
    }
    await customers?.stop();
    await auth?.stop();
    await issuer?.stop();
    if (db) {
      for (const schema of [exportsSchema, crSchema]) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.destroy();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('re-runs the export as a new attempt after a SIGKILL, serves only the complete file, and leaves exactly one', async () => {
    const id = await requestExport();

    // 1. Wait for the first ExportProgressed (rows done, not finished), then crash the process.
    await progressedOnce(id);
    // Not downloadable while running.
    const early = await call('POST', `/v1/exports/${id}/download-link`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { code: string }).code).toBe('EXPORT_NOT_READY');
    await app.kill();

    const [crashed] = await db.query(`SELECT status, attempt FROM "${exportsSchema}".exports WHERE export_id = $1`, [id]);
    expect(crashed).toEqual({ status: 'running', attempt: 1 });
    const before = await eventsOf(id);
    expect(before.map((e) => e.type)).toContain('ExportProgressed');
    expect(before.map((e) => e.type)).not.toContain('ExportCompleted');
    // The killed attempt left a half file behind, under a name that is never served.
    expect(await readdir(dir)).toEqual([`${id}.1.part`]);

    // 2. Start again: the lapsed lease lets the worker re-run the export from scratch.
    app = await launchExports();
    const answers: Array<{ status: number; at: number }> = [];
    const done = await expectEventually(
      async () => {
        const view = await viewOf(id);
        if (view.status !== 'completed') {
          // Until it is complete, no link (hence no file) is handed out.
          const link = await call('POST', `/v1/exports/${id}/download-link`);
          answers.push({ status: link.status, at: Date.now() });
          await link.body?.cancel();
        }
        expect(view.status).toBe('completed');
        return view;
      },
      { timeoutMs: 170_000, intervalMs: 100 },
    );
    // Every link asked for was refused with 409, except one the export completed in time for (it
    // completed between the status read and the link request): answered after the completion.
    const completedAt = Date.parse(done.completedAt ?? '');
    expect(answers.filter((a) => a.status !== 409 && !(a.status === 201 && a.at >= completedAt))).toEqual([]);

    const events = await eventsOf(id);
    const types = events.map((e) => e.type);
    const starts = events.filter((e) => e.type === 'ExportStarted').map((e) => e.data.attempt);
    expect(starts).toEqual([1, 2]);
    expect(types.filter((t) => t === 'ExportCompleted')).toHaveLength(1);
    // Progress of attempt 1, then attempt 2 from its start, then the one completion.
    expect(types.indexOf('ExportProgressed')).toBeLessThan(types.lastIndexOf('ExportStarted'));
    expect(types[types.length - 1]).toBe('ExportCompleted');

    // 3. Exactly one file, the completed one of attempt 2, and it decrypts to what the read model recorded.
    expect(await readdir(dir)).toEqual([`${id}.2.wex`]);
    const [file] = await db.query(
      `SELECT f.kek_version, f.wrapped_key, e.sha256, e.bytes FROM "${exportsSchema}".export_files f
       JOIN "${exportsSchema}".exports e USING (export_id) WHERE f.export_id = $1 AND f.attempt = 2`,
      [id],
    );
    const dataKey = await StaticKeyProvider.fromKeyring(keks).unwrap({ kekVersion: file.kek_version, ciphertext: file.wrapped_key });
    const chunks: Buffer[] = [];
    await pipeline(
      createReadStream(join(dir, `${id}.2.wex`)),
      new SegmentDecryptor(dataKey, `${id}|2`),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    const atRest = Buffer.concat(chunks);
    expect(atRest.length).toBe(Number(file.bytes));
    expect(createHash('sha256').update(atRest).digest('hex')).toBe(file.sha256);

    // 4. The download is that file, whole: every customer once (plus decoys), sensitive fields masked.
    expect(done.rowCount).toBe(ROWS);
    expect(await downloadWhole(id)).toBe(atRest.toString('utf8'));
    expect(await readdir(dir)).toEqual([]);
  });

  it("a stalled worker whose lease lapsed and was re-run elsewhere stops without touching the new attempt's file", async () => {
    const id = await requestExport();
    await progressedOnce(id);
    const stalled = app;
    stalled.process.kill('SIGSTOP');
    // Another instance takes the export over once the lease lapsed, and completes attempt 2.
    app = await launchExports();
    await completed(id);
    expect(await readdir(dir)).toEqual([`${id}.2.wex`]);
    // The stalled worker wakes up holding attempt 1, then shuts down (its generation is stopped and cleaned up).
    stalled.process.kill('SIGCONT');
    await stalled.stop();
    expect(await readdir(dir)).toEqual([`${id}.2.wex`]);
    const events = await eventsOf(id);
    expect(events.filter((e) => e.type === 'ExportStarted').map((e) => e.data.attempt)).toEqual([1, 2]);
    expect(events[events.length - 1].type).toBe('ExportCompleted');
    await downloadWhole(id);
    expect(await readdir(dir)).toEqual([]);
  });
});
