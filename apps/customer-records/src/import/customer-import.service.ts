import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { WardenError } from '@warden/contracts';
import { FieldCipher } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG, REDIS } from '@warden/platform';
import type { Policy } from '@warden/security';
import { stringify } from 'csv-stringify';
import type Redis from 'ioredis';
import { DataSource, type QueryRunner } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { registerCustomerBody, type RegisterCustomerBody } from '../customer/customer.dto';
import { CustomerService } from '../customer/customer.service';
import type { CustomerRecordsConfig } from '../core/config';
import {
  type ImportFormat,
  type ImportProgress,
  type ImportRowError,
  type ImportStatus,
} from './customer-import.dto';
import { CustomerImportError, CustomerImportErrorCode } from './customer-import.exception';
import { csvRows, fileProblem, ndjsonRows, type ImportRow } from './import-rows.util';
import { currentPolicyVersion, customerAbilitySnapshot, resumePolicy, type ImportRequester } from './import-requester.util';
import { SpoolReadError, storedUpload, type ImportSpool, type SpoolSecrets } from './import-spool.util';

/** Rows validated and registered together; progress is saved after each batch. */
export const IMPORT_BATCH_SIZE = 200;
/** Rows registered in one shared transaction (`CustomerService.registerMany`). */
const IMPORT_GROUP_SIZE = 25;
/** Groups written at once within a batch (each holds one database connection at a time). */
const IMPORT_CONCURRENCY = 4;
/** Errors returned by the progress endpoint (the CSV report has them all). */
const PROGRESS_ERRORS = 1000;
/** The key-store field of the key that decrypts an import's stored upload (the subject is the import). */
const SPOOL_KEY_FIELD = 'import-spool';

/** The causation id of the registration of one row: how a resumed import knows the row is done. */
const rowCause = (importId: string, row: number): string => `import:${importId}:${row}`;

/**
 * Times in a row an instance sees an import interrupted by an error at the same row before it
 * fails the import (a fault that does not pass, rather than a database that was away a moment).
 */
const IMPORT_MAX_INTERRUPTIONS = 5;

/** The process is stopping: the import is left running, for the next start (or another instance) to resume. */
class ImportStopped extends Error {}

/** One import being processed by this instance, which holds its lock. */
type ImportRun = {
  importId: string;
  format: ImportFormat;
  policy: Policy;
  metadata: Pick<CommandMetadata, 'actor' | 'correlationId'>;
  secrets: SpoolSecrets;
  /** Rows 1..rowsRead have their outcome saved. */
  rowsRead: number;
  resumed: boolean;
  /** The connection holding the import's advisory lock (released when processing ends). */
  lock: QueryRunner;
};

type StoredSpool = { key: string; iv: string; tag: string };

/**
 * Bulk imports: the uploaded file is spooled encrypted by the controller, then stored (its
 * ciphertext, in chunks) with the import before the import is acknowledged, and read back as a
 * stream; each row is registered as the requester through `CustomerService.registerMany` — the
 * same checks, encryption and blind indexes as `POST /v1/customers`, a group of rows per
 * transaction — in batches, saving progress, row errors (never a submitted value) and the rows read
 * after each. Memory holds one batch, whatever the file's size.
 *
 * An acknowledged import survives the process: whichever instance holds its advisory lock
 * processes it; when that process dies (or stops), the next instance to start or to sweep (every
 * `CUSTOMER_RECORDS_IMPORT_SWEEP_MS`, 15 s) takes the lock and resumes after the last saved batch. Rows of the interrupted batch that
 * were registered are recognised by their registration's causation id (`import:<id>:<row>`), so
 * no row is registered twice and the report is the one an uninterrupted import gives. The import
 * resumes as its requester, with the rights they had unless those changed since (then with their
 * current rights if cached, else the import fails, naming the rows left).
 *
 * Only a file that cannot be read on (bad quoting, not UTF-8, altered) fails an import for its
 * content. Any other error (the database away, a statement refused) interrupts it: the lock is let
 * go and a sweep resumes it from its last saved batch, unless it was interrupted at the same row
 * `IMPORT_MAX_INTERRUPTIONS` times in a row, which fails it saying so.
 */
@Injectable()
export class CustomerImportService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CustomerImportService.name);
  private readonly running = new Map<string, Promise<void>>();
  /** Imports this instance saw interrupted by an error: at which row, how many times in a row. */
  private readonly interruptions = new Map<string, { rowsRead: number; count: number }>();
  private stopping = false;
  private sweeping = false;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly customers: CustomerService,
    private readonly cipher: FieldCipher,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: CustomerRecordsConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.CUSTOMER_RECORDS_IMPORT_SWEEP_MS);
    this.sweepTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Records the import with its stored upload and requester, then runs it in the background;
   * answers its id once all of that is committed (the import then survives a crash).
   */
  async start(spool: ImportSpool, format: ImportFormat, policy: Policy, metadata: CommandMetadata): Promise<string> {
    const importId = uuidv7();
    const lock = await this.tryLock(importId);
    try {
      if (!lock) throw new Error('a new import could not be locked');
      const { key, iv, tag } = spool.secrets;
      const stored: StoredSpool = {
        key: await this.cipher.encrypt(importId, SPOOL_KEY_FIELD, key.toString('base64')),
        iv: iv.toString('base64'),
        tag: tag.toString('base64'),
      };
      const requester: ImportRequester = {
        actor: metadata.actor,
        correlationId: metadata.correlationId,
        policyVersion: await this.startVersion(policy),
        ability: customerAbilitySnapshot(policy),
      };
      await this.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO ${this.s}.customer_imports (id, requested_by, format, status, spool, requester)
           VALUES ($1, $2, $3, 'running', $4, $5)`,
          [importId, metadata.actor.userId, format, JSON.stringify(stored), JSON.stringify(requester)],
        );
        await spool.store(manager, this.chunks, importId);
      });
      this.launch({ importId, format, policy, metadata, secrets: spool.secrets, rowsRead: 0, resumed: false, lock });
      return importId;
    } catch (error) {
      if (lock) await this.unlock(importId, lock);
      await this.cipher.shred(importId).catch(() => undefined);
      throw error;
    } finally {
      await spool.remove();
    }
  }

  /** The import's progress, for its requester only (anyone else: 404, like a missing one). */
  async progress(importId: string, userId: string): Promise<ImportProgress> {
    const [row]: Array<{ status: ImportStatus; rows_total: number | null; rows_done: number; rows_failed: number }> =
      await this.dataSource.query(
        `SELECT status, rows_total, rows_done, rows_failed FROM ${this.s}.customer_imports WHERE id = $1 AND requested_by = $2`,
        [importId, userId],
      );
    if (!row) throw new CustomerImportError(CustomerImportErrorCode.NotFound, `import ${importId} not found`);
    const errors: Array<{ row_number: number; field: string; message: string }> = await this.dataSource.query(
      `SELECT row_number, field, message FROM ${this.s}.customer_import_errors WHERE import_id = $1 ORDER BY id LIMIT $2`,
      [importId, PROGRESS_ERRORS],
    );
    return {
      importId,
      status: row.status,
      ...(row.rows_total === null ? {} : { rowsTotal: row.rows_total }),
      rowsDone: row.rows_done,
      rowsFailed: row.rows_failed,
      errors: errors.map((e) => ({ row: e.row_number, field: e.field, message: e.message })),
    };
  }

  /** Every error of the import as CSV (`row,field,message`), read from the database page by page. */
  async errorReport(importId: string, userId: string): Promise<Readable> {
    await this.progressRowExists(importId, userId);
    const csv = stringify({ header: true, columns: ['row', 'field', 'message'] });
    const pump = async () => {
      let after = 0;
      for (;;) {
        const page: Array<{ id: string; row_number: number; field: string; message: string }> = await this.dataSource.query(
          `SELECT id, row_number, field, message FROM ${this.s}.customer_import_errors
           WHERE import_id = $1 AND id > $2 ORDER BY id LIMIT 1000`,
          [importId, after],
        );
        for (const e of page) {
          if (!csv.write([e.row_number, e.field, e.message])) await new Promise((resolve) => csv.once('drain', resolve));
        }
        if (page.length < 1000) break;
        after = Number(page[page.length - 1].id);
      }
      csv.end();
    };
    pump().catch((error: unknown) => csv.destroy(error as Error));
    return csv;
  }

  private async progressRowExists(importId: string, userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${this.s}.customer_imports WHERE id = $1 AND requested_by = $2`,
      [importId, userId],
    );
    if (rows.length === 0) throw new CustomerImportError(CustomerImportErrorCode.NotFound, `import ${importId} not found`);
  }

  /** The policy version the requester's rights are compared with on resume (-1: unknown, never equal). */
  private async startVersion(policy: Policy): Promise<number> {
    try {
      return Math.min(policy.policyVersion ?? 0, await currentPolicyVersion(this.redis, policy.userId));
    } catch {
      return -1;
    }
  }

  private launch(run: ImportRun): void {
    const task = this.process(run)
      .then(() => void this.interruptions.delete(run.importId))
      .catch((error: unknown) => this.interrupted(run.importId, error))
      .finally(async () => {
        this.running.delete(run.importId);
        await this.unlock(run.importId, run.lock);
      });
    this.running.set(run.importId, task);
  }

  /**
   * An error stopped the import (not its file): it stays running, for a sweep to resume, unless it
   * keeps stopping at the same row.
   */
  private async interrupted(importId: string, error: unknown): Promise<void> {
    const err = { name: (error as Error).name, code: (error as { code?: unknown }).code };
    try {
      const [row]: Array<{ rows_read: number; status: ImportStatus }> = await this.dataSource.query(
        `SELECT rows_read, status FROM ${this.s}.customer_imports WHERE id = $1`,
        [importId],
      );
      if (!row || row.status !== 'running') return;
      const previous = this.interruptions.get(importId);
      const count = previous?.rowsRead === row.rows_read ? previous.count + 1 : 1;
      if (count < IMPORT_MAX_INTERRUPTIONS) {
        this.interruptions.set(importId, { rowsRead: row.rows_read, count });
        this.logger.warn({ importId, err, rowsRead: row.rows_read, count }, 'import interrupted by an error; a sweep resumes it');
        return;
      }
      this.interruptions.delete(importId);
      this.logger.error({ importId, err, rowsRead: row.rows_read }, 'import failed: interrupted at the same row too many times');
      const message = `an internal error interrupted the import ${count} times at this row (see the service log)`;
      await this.saveBatch(importId, 0, [{ row: row.rows_read + 1, field: 'file', message }], row.rows_read);
      await this.finish(importId, 'failed');
    } catch (again) {
      this.logger.warn({ importId, err, then: (again as Error).name }, 'import interrupted by an error; a sweep resumes it');
    }
  }

  /** Takes over every running import that no process holds (its process died or stopped). */
  private async sweep(): Promise<void> {
    if (this.stopping || this.sweeping) return;
    this.sweeping = true;
    try {
      const rows: Array<{ id: string }> = await this.dataSource.query(
        `SELECT id FROM ${this.s}.customer_imports WHERE status = 'running' ORDER BY created_at`,
      );
      // Imports another instance finished since this one saw them interrupted.
      const runningIds = new Set(rows.map((row) => row.id));
      for (const id of this.interruptions.keys()) if (!runningIds.has(id)) this.interruptions.delete(id);
      for (const { id } of rows) {
        if (this.stopping) break;
        if (this.running.has(id)) continue;
        const lock = await this.tryLock(id);
        if (lock) await this.resume(id, lock);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not look for interrupted imports');
    } finally {
      this.sweeping = false;
    }
  }

  /** Resumes an interrupted import whose lock this instance now holds, or fails it saying why it cannot. */
  private async resume(importId: string, lock: QueryRunner): Promise<void> {
    try {
      const [row]: Array<{ status: ImportStatus; format: ImportFormat; rows_read: number; spool: StoredSpool | null; requester: ImportRequester | null }> =
        await this.dataSource.query(
          `SELECT status, format, rows_read, spool, requester FROM ${this.s}.customer_imports WHERE id = $1`,
          [importId],
        );
      if (!row || row.status !== 'running') return void (await this.unlock(importId, lock));
      const left = `rows after row ${row.rows_read} were not imported; import them again`;
      if (!row.spool || !row.requester) {
        return void (await this.abandon(importId, lock, row.rows_read, `the import was interrupted and cannot be resumed: ${left}`));
      }
      const policy = await resumePolicy(this.redis, row.requester);
      if (!policy) {
        return void (await this.abandon(importId, lock, row.rows_read, `the import was interrupted and the requester's permissions changed since: ${left}`));
      }
      const key = Buffer.from(await this.cipher.decrypt(importId, SPOOL_KEY_FIELD, row.spool.key), 'base64');
      this.logger.log({ importId, rowsRead: row.rows_read }, 'resuming an interrupted import');
      this.launch({
        importId,
        format: row.format,
        policy,
        metadata: { actor: row.requester.actor, correlationId: row.requester.correlationId },
        secrets: { key, iv: Buffer.from(row.spool.iv, 'base64'), tag: Buffer.from(row.spool.tag, 'base64') },
        rowsRead: row.rows_read,
        resumed: true,
        lock,
      });
    } catch (error) {
      this.logger.warn({ importId, err: (error as Error).message }, 'could not resume an import');
      await this.unlock(importId, lock);
    }
  }

  private async abandon(importId: string, lock: QueryRunner, rowsRead: number, message: string): Promise<void> {
    try {
      await this.saveBatch(importId, 0, [{ row: rowsRead + 1, field: 'file', message }], rowsRead);
      await this.finish(importId, 'failed');
    } finally {
      await this.unlock(importId, lock);
    }
  }

  private async process(run: ImportRun): Promise<void> {
    const { importId } = run;
    let batch: ImportRow[] = [];
    let lastRow = run.rowsRead;
    // Rows of the interrupted batch whose registration was committed before the process stopped.
    const registered = run.resumed ? await this.registeredRows(importId, run.rowsRead) : new Set<number>();
    const source = storedUpload(this.dataSource.manager, this.chunks, importId, run.secrets);
    const rows = (run.format === 'csv' ? csvRows(source) : ndjsonRows(source))[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<ImportRow>;
        try {
          next = await rows.next();
        } catch (error) {
          if (error instanceof SpoolReadError) throw error;
          // The file itself could not be read on (bad quoting, not UTF-8, altered): the rows read
          // are imported; the import is failed with the reason, at the row after the last one read.
          await this.importBatch(run, batch, registered);
          await this.saveBatch(importId, 0, [{ row: lastRow + 1, field: 'file', message: `the file could not be read on: ${fileProblem(error)}` }], lastRow);
          await this.finish(importId, 'failed');
          return;
        }
        if (next.done) break;
        const row = next.value;
        if (row.row <= run.rowsRead) continue;
        lastRow = row.row;
        batch.push(row);
        if (batch.length >= IMPORT_BATCH_SIZE) {
          await this.importBatch(run, batch, registered);
          batch = [];
        }
      }
      await this.importBatch(run, batch, registered);
      await this.finish(importId, 'completed');
    } catch (error) {
      if (error instanceof ImportStopped) {
        this.logger.log({ importId }, 'import left to resume after the restart');
        return;
      }
      throw error;
    } finally {
      source.destroy();
      await rows.return?.(undefined).catch(() => undefined);
    }
  }

  /** The rows after `rowsRead` that an interrupted run registered (their registrations' causation ids). */
  private async registeredRows(importId: string, rowsRead: number): Promise<Set<number>> {
    const prefix = rowCause(importId, 0).slice(0, -1);
    const rows: Array<{ causation_id: string }> = await this.dataSource.query(
      `SELECT causation_id FROM ${this.s}.events WHERE type = 'CustomerRegistered' AND causation_id LIKE $1`,
      [`${prefix}%`],
    );
    return new Set(rows.map((r) => Number(r.causation_id.slice(prefix.length))).filter((row) => row > rowsRead));
  }

  /**
   * Validates a batch, registers its valid rows in groups (`IMPORT_GROUP_SIZE` rows per shared
   * transaction, `IMPORT_CONCURRENCY` groups at a time), then saves its progress.
   * Stops (leaving the import to resume) when the process is stopping or the import's lock is lost.
   */
  private async importBatch(run: ImportRun, batch: readonly ImportRow[], registered: ReadonlySet<number>): Promise<void> {
    if (batch.length === 0) return;
    if (this.stopping) throw new ImportStopped();
    await run.lock.query('SELECT 1').catch(() => {
      throw new ImportStopped();
    });
    const errors: ImportRowError[] = [];
    let done = 0;
    const valid: Array<{ row: number; body: RegisterCustomerBody }> = [];
    for (const item of batch) {
      if ('error' in item) {
        errors.push(item.error);
        continue;
      }
      if (registered.has(item.row)) {
        done += 1;
        continue;
      }
      const parsed = registerCustomerBody.safeParse(item.input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? 'row');
          const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
          errors.push({ row: item.row, field, message });
        }
        continue;
      }
      valid.push({ row: item.row, body: parsed.data });
    }
    const groups: Array<typeof valid> = [];
    for (let i = 0; i < valid.length; i += IMPORT_GROUP_SIZE) groups.push(valid.slice(i, i + IMPORT_GROUP_SIZE));
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++];
        const results = await this.customers.registerMany(
          group.map(({ row, body }) => ({ body, metadata: { ...run.metadata, causationId: rowCause(run.importId, row), now: new Date() } })),
          run.policy,
        );
        results.forEach((result, i) => {
          if ('id' in result) done += 1;
          else errors.push({ row: group[i].row, field: 'row', message: this.rowProblem(result.error) });
        });
      }
    };
    await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, worker));
    errors.sort((a, b) => a.row - b.row);
    await this.saveBatch(run.importId, done, errors, batch[batch.length - 1].row);
  }

  /** A registration's failure as a message that names no value (a domain error's own message is safe). */
  private rowProblem(error: unknown): string {
    if (error instanceof WardenError) return error.message;
    this.logger.error({ err: (error as Error).name }, 'an import row could not be registered');
    return 'internal error';
  }

  private async saveBatch(importId: string, done: number, errors: readonly ImportRowError[], rowsRead: number): Promise<void> {
    const failedRows = new Set(errors.filter((e) => e.field !== 'file').map((e) => e.row)).size;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE ${this.s}.customer_imports
         SET rows_done = rows_done + $2, rows_failed = rows_failed + $3, rows_read = GREATEST(rows_read, $4), updated_at = now()
         WHERE id = $1`,
        [importId, done, failedRows, rowsRead],
      );
      if (errors.length) {
        await manager.query(
          `INSERT INTO ${this.s}.customer_import_errors (import_id, row_number, field, message)
           SELECT $1, r, f, m FROM unnest($2::int[], $3::text[], $4::text[]) AS e(r, f, m)`,
          [importId, errors.map((e) => e.row), errors.map((e) => e.field), errors.map((e) => e.message)],
        );
      }
    });
  }

  /** Ends the import: its status and total; the stored upload deleted and its key shredded. */
  private async finish(importId: string, status: ImportStatus): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE ${this.s}.customer_imports
         SET status = $2, rows_total = rows_done + rows_failed, spool = NULL, requester = NULL, finished_at = now(), updated_at = now()
         WHERE id = $1`,
        [importId, status],
      );
      await manager.query(`DELETE FROM ${this.chunks} WHERE import_id = $1`, [importId]);
    });
    await this.cipher.shred(importId);
  }

  /** A connection holding the import's advisory lock, or null when another process holds it. */
  private async tryLock(importId: string): Promise<QueryRunner | null> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }]: Array<{ locked: boolean }> = await runner.query(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [`warden.customer-import.${importId}`],
      );
      if (locked) return runner;
    } catch (error) {
      await runner.release();
      throw error;
    }
    await runner.release();
    return null;
  }

  private async unlock(importId: string, runner: QueryRunner): Promise<void> {
    if (runner.isReleased) return;
    await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`warden.customer-import.${importId}`]).catch(() => undefined);
    await runner.release();
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  private get chunks(): string {
    return `${this.s}.customer_import_chunks`;
  }
}
