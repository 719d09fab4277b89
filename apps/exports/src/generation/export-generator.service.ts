import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { systemActor, type ExportFormat } from '@warden/contracts';
import type { KeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG, RequestValidationError, ServiceUnavailableError } from '@warden/platform';
import { ForbiddenError } from '@warden/security';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import { CustomerRecordsClient } from '../core/customer-records.client';
import { KEY_PROVIDER } from '../core/tokens';
import { ExportQueueSignal } from './export-queue.signal';
import { ExportFiles } from '../export/export-files';
import { ExportError } from '../export/export.exception';
import { ExportService, type ExportRow as ExportReadRow } from '../export/export.service';
import { exportFingerprintKey, fingerprintIdOf, Fingerprinter, type ExportRow } from '../fingerprint/fingerprint.util';
import { SegmentEncryptor } from './encrypted-file.util';
import { DigestCounter, writeExportFile } from './export-file.writer';
import { rowShaper } from './export-row.util';

/** After this many attempts cut short by an unavailable customer-records, the export fails. */
const MAX_ATTEMPTS = 5;

/** This worker no longer holds the generation: cancelled, superseded by a re-run, or shutting down. */
class Cancelled extends Error {}

export const generatorMetadata = (correlationId: string): CommandMetadata => ({
  actor: systemActor('exports'),
  correlationId,
  causationId: null,
  now: new Date(),
});

/**
 * The generation worker. Claims queued exports (and running ones whose worker's lease lapsed,
 * i.e. crashed) with `FOR UPDATE SKIP LOCKED`, records `ExportStarted` with the next attempt
 * number, and streams the rows from customer-records through masking and the fingerprint into an
 * encrypted `.part` file under a fresh data key. The lease is renewed every third of its length
 * (and at each progress event, every `EXPORTS_PROGRESS_EVERY` rows), fenced by the attempt: a
 * worker whose export was cancelled or re-run by another worker (its lease lapsed while it was
 * stalled) stops and deletes only its own attempt's file; the decider refuses its progress and
 * completion. Only a complete file is renamed to its final name and recorded as `ExportCompleted`;
 * a re-run deletes the earlier attempts' files, so a half file is never downloadable.
 */
@Injectable()
export class ExportGenerator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExportGenerator');
  private readonly active = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private stopped = false;

  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    @Inject(KEY_PROVIDER) private readonly keys: KeyProvider,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly customers: CustomerRecordsClient,
    private readonly exportsService: ExportService,
    private readonly files: ExportFiles,
    private readonly queue: ExportQueueSignal,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.files.ensureDir();
    this.timer = setInterval(() => void this.poll(), this.config.EXPORTS_POLL_MS);
    this.timer.unref();
    this.queue.onReady(() => void this.poll());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const controller of this.active.values()) controller.abort();
    const deadline = Date.now() + 5000;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** One round: claim as many exports as there are free slots. */
  async poll(): Promise<void> {
    if (this.stopped) return;
    if (this.polling) {
      // Something became ready while this round was claiming: look again when it ends.
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.pollAgain = false;
    try {
      while (this.active.size < this.config.EXPORTS_WORKER_CONCURRENCY && !this.stopped) {
        const claimed = await this.claim();
        if (!claimed) break;
        const controller = new AbortController();
        this.active.set(claimed.export_id, controller);
        void this.run(claimed, controller.signal).finally(() => this.active.delete(claimed.export_id));
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'export worker poll failed');
    } finally {
      this.polling = false;
    }
    if (this.pollAgain) await this.poll();
  }

  /**
   * A queued export, or a running one whose worker's lease lapsed. A claimed export keeps its
   * lease while still `queued` (until `ExportStarted` commits), so that it is not claimed twice.
   */
  private async claim(): Promise<ExportReadRow | null> {
    const [rows]: [ExportReadRow[], number] = await this.dataSource.query(
      `UPDATE ${this.s}.exports SET lease_until = now() + ($1 || ' milliseconds')::interval
       WHERE export_id = (
         SELECT export_id FROM ${this.s}.exports
         WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
         ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [String(this.config.EXPORTS_WORKER_LEASE_MS)],
    );
    return rows[0] ?? null;
  }

  /**
   * Renews this attempt's lease; `running` while it still holds the generation, `superseded` when
   * another worker re-ran it, otherwise the export's status (e.g. `cancelled`).
   */
  private async renewLease(exportId: string, attempt: number): Promise<string> {
    const [rows]: [Array<{ status: string; attempt: number }>, number] = await this.dataSource.query(
      `UPDATE ${this.s}.exports SET lease_until = CASE WHEN attempt = $3 AND status = 'running'
         THEN now() + ($2 || ' milliseconds')::interval ELSE lease_until END
       WHERE export_id = $1 RETURNING status, attempt`,
      [exportId, String(this.config.EXPORTS_WORKER_LEASE_MS), attempt],
    );
    const row = rows[0];
    if (!row) return 'missing';
    return row.attempt === attempt ? row.status : 'superseded';
  }

  /**
   * Keeps the lease of a running attempt alive on a timer (a slow source must not lose it) and
   * aborts the returned signal when the worker no longer holds the generation or shuts down.
   */
  private keepLease(exportId: string, attempt: number, shutdown: AbortSignal): { signal: AbortSignal; check: () => Promise<void>; stop: () => void } {
    const lost = new AbortController();
    const onShutdown = () => lost.abort(new Cancelled('shutting down'));
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const check = async () => {
      const status = await this.renewLease(exportId, attempt);
      if (status !== 'running') {
        const reason = new Cancelled(status === 'superseded' ? 'a newer attempt runs the export' : `the export is ${status}`);
        lost.abort(reason);
        throw reason;
      }
    };
    const timer = setInterval(() => {
      // A database hiccup is not a loss: the decider still fences a stale completion.
      check().catch((error: unknown) => {
        if (!(error instanceof Cancelled)) this.logger.warn({ exportId, attempt, err: (error as Error).message }, 'could not renew the lease');
      });
    }, Math.max(250, Math.floor(this.config.EXPORTS_WORKER_LEASE_MS / 3)));
    timer.unref();
    return {
      signal: lost.signal,
      check,
      stop: () => {
        clearInterval(timer);
        shutdown.removeEventListener('abort', onShutdown);
      },
    };
  }

  /** Gives a generation stopped by shutdown back at once (no wait for the lease to lapse). */
  private async releaseLease(exportId: string, attempt: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.s}.exports SET lease_until = NULL WHERE export_id = $1 AND attempt = $2 AND status = 'running'`,
      [exportId, attempt],
    );
  }

  private async run(claimed: ExportReadRow, signal: AbortSignal): Promise<void> {
    const exportId = claimed.export_id;
    const attempt = claimed.attempt + 1;
    const correlationId = `export-generation-${exportId}`;
    try {
      if (claimed.status === 'running' && attempt > MAX_ATTEMPTS) {
        await this.exportsService.handle(exportId, { type: 'FailExport', data: { error: `gave up after ${MAX_ATTEMPTS} interrupted attempts` } }, generatorMetadata(correlationId));
        await this.files.deleteAll(exportId);
        return;
      }
      await this.exportsService.handle(exportId, { type: 'StartGeneration', data: { attempt } }, generatorMetadata(correlationId));
    } catch (error) {
      if (!(error instanceof ExportError)) this.logger.warn({ exportId, err: (error as Error).message }, 'could not start a generation');
      return;
    }
    const lease = this.keepLease(exportId, attempt, signal);
    try {
      await this.files.deleteAttemptsBefore(exportId, attempt);
      const result = await this.generate(claimed, attempt, lease);
      await this.exportsService.handle(exportId, { type: 'CompleteExport', data: { attempt, ...result } }, generatorMetadata(correlationId));
    } catch (error) {
      // Only this attempt's file: a newer attempt's (complete or not) belongs to another worker.
      await this.files.deleteAttempt(exportId, attempt).catch(() => undefined);
      if (signal.aborted) {
        await this.releaseLease(exportId, attempt).catch(() => undefined);
        return;
      }
      if (error instanceof Cancelled || lease.signal.aborted) return;
      if (error instanceof ForbiddenError || error instanceof RequestValidationError) {
        await this.exportsService
          .handle(exportId, { type: 'FailExport', data: { error: error.message.slice(0, 1000) } }, generatorMetadata(correlationId))
          .catch(() => undefined);
        return;
      }
      // Unavailable or unexpected: the lease lapses and a worker re-runs the export from scratch.
      this.logger.warn({ exportId, attempt, err: (error as Error).message }, 'generation interrupted; it will be re-run');
      if (error instanceof ExportError || error instanceof ServiceUnavailableError) return;
    } finally {
      lease.stop();
    }
  }

  /** Streams the rows into the encrypted file; returns what `ExportCompleted` records. */
  private async generate(
    row: ExportReadRow,
    attempt: number,
    lease: { signal: AbortSignal; check: () => Promise<void> },
  ): Promise<{ rowCount: number; bytes: number; fingerprintId: string; sha256: string }> {
    const exportId = row.export_id;
    const { signal } = lease;
    const dataKey = randomBytes(32);
    const wrapped = await this.keys.wrap(dataKey);
    await this.dataSource.query(
      `INSERT INTO ${this.s}.export_files (export_id, attempt, kek_version, wrapped_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (export_id, attempt) DO UPDATE SET kek_version = EXCLUDED.kek_version, wrapped_key = EXCLUDED.wrapped_key`,
      [exportId, attempt, wrapped.kekVersion, wrapped.ciphertext],
    );
    const serverKey = Buffer.from(this.config.EXPORTS_FINGERPRINT_KEY, 'base64');
    const fingerprintId = fingerprintIdOf(serverKey, exportId);
    const clearFields = new Set(row.clear_fields);
    const fingerprinter = new Fingerprinter({
      exportKey: exportFingerprintKey(serverKey, exportId),
      fingerprintId,
      fields: row.fields,
      clearFields,
      decoyEvery: this.config.EXPORTS_DECOY_EVERY,
    });
    const filter = await this.exportsService.plainFilterOf(exportId);
    const source = this.customers.streamBatches(
      { onBehalfOf: row.requester_id, purposeId: exportId, filter, fields: row.fields, clearFields: row.clear_fields },
      signal,
    );
    const shape = rowShaper(row.fields, clearFields);
    let rowCount = 0;
    const every = this.config.EXPORTS_PROGRESS_EVERY;
    const correlationId = `export-generation-${exportId}`;
    const checkpoint = async () => {
      await lease.check();
      await this.exportsService.handle(
        exportId,
        { type: 'RecordProgress', data: { attempt, rowsDone: rowCount, rowsTotal: Math.max(rowCount, row.estimated_rows) } },
        generatorMetadata(correlationId),
      );
    };
    /** The file's rows a batch at a time (each batch: the rows of one chunk of the stream, shaped and fingerprinted). */
    async function* rows(): AsyncGenerator<ExportRow[]> {
      for await (const batch of source) {
        if (signal.aborted) throw signal.reason instanceof Cancelled ? signal.reason : new Cancelled('stopped');
        const before = rowCount;
        rowCount += batch.length;
        const out = fingerprinter.nextBatch(batch.map(shape));
        // A progress event each time the count passes a multiple of `every`.
        if (Math.floor(rowCount / every) > Math.floor(before / every)) await checkpoint();
        yield out;
      }
      yield fingerprinter.finish();
    }
    const part = this.files.partPath(exportId, attempt);
    const digest = new DigestCounter();
    const plain = new PassThrough();
    const written = pipeline(plain, digest, new SegmentEncryptor(dataKey, `${exportId}|${attempt}`), createWriteStream(part, { mode: 0o600 }));
    await Promise.all([writeExportFile(row.format as ExportFormat, row.fields, rows(), plain), written]);
    // Still ours? A superseded attempt never leaves a complete-looking file behind.
    await lease.check();
    const handle = await open(part, 'r+');
    await handle.sync();
    await handle.close();
    await rename(part, this.files.finalPath(exportId, attempt));
    return { rowCount, bytes: digest.bytes, fingerprintId, sha256: digest.hex() };
  }
}
