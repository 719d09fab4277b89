import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG, PeriodicSweep } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import { generatorMetadata } from '../generation/export-generator.service';
import { ExportFiles } from './export-files';
import { ExportService } from './export.service';

/**
 * At start and every poll interval (at least 1 s), as `system:exports`: approval requests past
 * their 24 h are `ExportExpired` (stage approval); files not downloaded within retention are
 * `ExportExpired` (stage file) and deleted; files of exports that ended otherwise (downloaded,
 * cancelled, failed) are deleted if a crash left them behind. A round stops between exports when
 * the service shuts down; what it left is picked up by the next one.
 */
@Injectable()
export class ExportExpirySweeper extends PeriodicSweep<void> {
  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly exportsService: ExportService,
    private readonly files: ExportFiles,
  ) {
    super({ name: 'ExportExpiry', intervalMs: Math.max(config.EXPORTS_POLL_MS, 1000), failed: undefined });
  }

  protected async round(now: Date, shouldStop: () => boolean): Promise<void> {
    const s = quoteSchema(this.store.schema);
    const approvals: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports WHERE status = 'pending_approval' AND approval_expires_at <= $1 LIMIT 100`,
      [now],
    );
    const retainedSince = new Date(now.getTime() - this.config.EXPORTS_RETENTION_DAYS * 86_400_000);
    const files: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports WHERE status = 'completed' AND completed_at <= $1 LIMIT 100`,
      [retainedSince],
    );
    for (const [stage, rows] of [['approval', approvals], ['file', files]] as const) {
      for (const { export_id: exportId } of rows) {
        if (shouldStop()) return;
        const metadata = generatorMetadata(`export-expiry-${exportId}`);
        await this.exportsService
          .handle(exportId, { type: 'ExpireExport', data: { stage, now: now.toISOString() } }, metadata)
          .catch((error: unknown) => this.logger.warn({ exportId, err: (error as Error).message }, 'could not expire an export'));
        if (stage === 'file') await this.files.deleteAll(exportId);
      }
    }
    const ended: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports
       WHERE status IN ('downloaded', 'cancelled', 'expired', 'failed', 'rejected') AND file_deleted_at IS NULL LIMIT 200`,
    );
    for (const { export_id: exportId } of ended) {
      if (shouldStop()) return;
      await this.files.deleteAll(exportId);
      await this.dataSource.query(`UPDATE ${s}.exports SET file_deleted_at = now() WHERE export_id = $1`, [exportId]);
    }
  }
}
