import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { systemActor, type AuditReportGeneratedData, type EventEnvelope } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuditConfig } from '../core/config';
import { VerificationService } from '../verification/verification.service';
import { buildReport, REPORT_TYPES, type AuditReport } from './report-builder.util';
import { parsePeriod, periodsEndedBy, type ReportPeriod } from './report-period.util';

export type ReportFormat = 'html' | 'json' | 'csv';

/** Reports of a period: on demand, and by schedule once a month or quarter has ended. */
@Injectable()
export class ReportService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReportService');
  private readonly s: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly verification: VerificationService,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running = this.generateScheduled().catch((error: unknown) =>
        this.logger.warn({ error: (error as Error).message }, 'scheduled report failed; trying again later'),
      );
    }, this.config.AUDIT_MAINTENANCE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Builds the report of a period from the trail (and the latest verification before it was asked). */
  async build(period: ReportPeriod, now = new Date()): Promise<AuditReport> {
    const rows: Array<{ envelope: EventEnvelope }> = await this.dataSource.query(
      `SELECT envelope FROM ${this.s}.trail WHERE occurred_at >= $1 AND occurred_at < $2 AND type = ANY($3::text[])`,
      [period.from, period.to, [...REPORT_TYPES]],
    );
    const counts: Array<{ views: string; listings: string }> = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE type = 'CustomerViewed') AS views,
              count(*) FILTER (WHERE type IN ('CustomersListed', 'CustomersSearched')) AS listings
       FROM ${this.s}.trail WHERE occurred_at >= $1 AND occurred_at < $2 AND type IN ('CustomerViewed', 'CustomersListed', 'CustomersSearched')`,
      [period.from, period.to],
    );
    return buildReport(
      period,
      rows.map((r) => r.envelope),
      { customerViews: Number(counts[0].views), listings: Number(counts[0].listings) },
      await this.verification.latest(),
      now,
    );
  }

  /** On demand: builds, stores and records the report (an `AuditReportGenerated` event). */
  async onDemand(period: ReportPeriod, format: ReportFormat, metadata: CommandMetadata): Promise<AuditReport> {
    const report = await this.build(period, metadata.now);
    await this.record(report, 'on-demand', format, metadata);
    return report;
  }

  /** For each period that has ended and has no scheduled report yet: verify, build, store. */
  async generateScheduled(now = new Date()): Promise<string[]> {
    const done: string[] = [];
    for (const id of periodsEndedBy(now)) {
      const existing: unknown[] = await this.dataSource.query(
        `SELECT 1 FROM ${this.s}.reports WHERE period = $1 AND trigger = 'schedule' LIMIT 1`,
        [id],
      );
      if (existing.length) continue;
      await this.verification.verify();
      const report = await this.build(parsePeriod(id) as ReportPeriod, now);
      await this.record(report, 'schedule', 'json', { actor: systemActor('audit'), correlationId: uuidv7(), causationId: null, now });
      done.push(id);
    }
    return done;
  }

  private async record(report: AuditReport, trigger: 'schedule' | 'on-demand', format: ReportFormat, metadata: CommandMetadata): Promise<void> {
    const body = JSON.stringify(report);
    const data: AuditReportGeneratedData = {
      period: report.period,
      trigger,
      generatedBy: metadata.actor.userId,
      format,
      sha256: createHash('sha256').update(body).digest('hex'),
    };
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO ${this.s}.reports (period, generated_at, trigger, body) VALUES ($1, $2, $3, $4::jsonb)`, [
        report.period,
        metadata.now,
        trigger,
        body,
      ]);
      await this.store.append(`audit-report-${report.period}`, [{ type: 'AuditReportGenerated', data }], {
        expectedVersion: 'any',
        manager,
        metadata,
      });
    });
  }
}
