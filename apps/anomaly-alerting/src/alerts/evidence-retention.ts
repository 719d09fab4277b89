import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG, PeriodicSweep } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { AnomalyAlertingConfig } from '../core/config';

/** Evidence copies looked at per statement (each statement its own short transaction). */
const SWEEP_BATCH = 5000;

export type EvidenceSweep = { deleted: number; kept: number };

/**
 * Deletes the evidence copies (`evidence_events`) older than the retention that no alert names.
 * The detector copies every event a rule reads, so without this the table grows with all traffic;
 * an alert's evidence stays resolvable for as long as the alert exists. A copy found named by an
 * alert is marked `kept` and never examined again (an alert's evidence only grows). Rows are taken
 * with `SKIP LOCKED`: instances sweeping at once share the work instead of waiting on each other.
 * Runs at start and every `ANOMALY_ALERTING_EVIDENCE_SWEEP_MS`.
 */
@Injectable()
export class EvidenceRetention extends PeriodicSweep<EvidenceSweep> {
  constructor(
    @Inject(CONFIG) private readonly config: AnomalyAlertingConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {
    super({ name: 'EvidenceRetention', intervalMs: config.ANOMALY_ALERTING_EVIDENCE_SWEEP_MS, failed: { deleted: 0, kept: 0 } });
  }

  protected async round(now: Date, shouldStop: () => boolean): Promise<EvidenceSweep> {
    const s = quoteSchema(this.store.schema);
    const cutoff = new Date(now.getTime() - this.config.ANOMALY_ALERTING_EVIDENCE_RETENTION_DAYS * 86_400_000);
    const total: EvidenceSweep = { deleted: 0, kept: 0 };
    const started = Date.now();
    for (let batches = 1; ; batches++) {
      // Disjoint rows in the two data-modifying parts: named by an alert (kept) or not (deleted).
      const [row]: Array<{ deleted: number; kept: number; examined: number }> = await this.dataSource.query(
        `WITH candidates AS (
           SELECT event_id, EXISTS (SELECT 1 FROM ${s}.alerts a WHERE a.evidence @> jsonb_build_array(c.event_id::text)) AS named
           FROM ${s}.evidence_events c
           WHERE NOT kept AND stored_at < $1
           ORDER BY stored_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         ),
         marked AS (
           UPDATE ${s}.evidence_events e SET kept = true FROM candidates c WHERE e.event_id = c.event_id AND c.named RETURNING 1
         ),
         deleted AS (
           DELETE FROM ${s}.evidence_events e USING candidates c WHERE e.event_id = c.event_id AND NOT c.named RETURNING 1
         )
         SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM marked)::int AS kept, (SELECT count(*) FROM candidates)::int AS examined`,
        [cutoff, SWEEP_BATCH],
      );
      total.deleted += row.deleted;
      total.kept += row.kept;
      if (row.examined < SWEEP_BATCH || shouldStop()) break;
      if (batches % 20 === 0) this.logger.log({ deleted: total.deleted, kept: total.kept }, 'evidence retention: sweeping');
    }
    if (total.deleted || total.kept) {
      this.logger.log(
        { deleted: total.deleted, kept: total.kept, olderThan: cutoff.toISOString(), ms: Date.now() - started },
        'evidence retention: expired copies deleted, copies named by alerts kept',
      );
    }
    return total;
  }
}
