import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import { generatorMetadata } from '../generation/export-generator.service';
import { ExportFiles } from './export-files';
import { ExportService } from './export.service';

/**
 * Every poll interval, as `system:exports`: approval requests past their 24 h are `ExportExpired`
 * (stage approval); files not downloaded within retention are `ExportExpired` (stage file) and
 * deleted; files of exports that ended otherwise (downloaded, cancelled, failed) are deleted if a
 * crash left them behind.
 */
@Injectable()
export class ExportExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExportExpiry');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly exportsService: ExportService,
    private readonly files: ExportFiles,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), Math.max(this.config.EXPORTS_POLL_MS, 1000));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sweep(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.round()
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'export expiry sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    const s = quoteSchema(this.store.schema);
    const approvals: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports WHERE status = 'pending_approval' AND approval_expires_at <= now() LIMIT 100`,
    );
    const retentionMs = this.config.EXPORTS_RETENTION_DAYS * 86_400_000;
    const files: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports WHERE status = 'completed' AND completed_at <= now() - ($1 || ' milliseconds')::interval LIMIT 100`,
      [String(Math.round(retentionMs))],
    );
    for (const [stage, rows] of [['approval', approvals], ['file', files]] as const) {
      for (const { export_id: exportId } of rows) {
        const metadata = generatorMetadata(`export-expiry-${exportId}`);
        await this.exportsService
          .handle(exportId, { type: 'ExpireExport', data: { stage, now: metadata.now.toISOString() } }, metadata)
          .catch((error: unknown) => this.logger.warn({ exportId, err: (error as Error).message }, 'could not expire an export'));
        if (stage === 'file') await this.files.deleteAll(exportId);
      }
    }
    const ended: Array<{ export_id: string }> = await this.dataSource.query(
      `SELECT export_id FROM ${s}.exports
       WHERE status IN ('downloaded', 'cancelled', 'expired', 'failed', 'rejected') AND file_deleted_at IS NULL LIMIT 200`,
    );
    for (const { export_id: exportId } of ended) {
      await this.files.deleteAll(exportId);
      await this.dataSource.query(`UPDATE ${s}.exports SET file_deleted_at = now() WHERE export_id = $1`, [exportId]);
    }
  }
}
