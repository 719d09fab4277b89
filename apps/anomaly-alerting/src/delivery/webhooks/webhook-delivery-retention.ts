import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG, PeriodicSweep } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { AnomalyAlertingConfig } from '../../core/config';

/** Deliveries deleted per statement (each statement its own short transaction). */
const SWEEP_BATCH = 5000;

/**
 * Deletes the finished webhook deliveries (`webhook_deliveries`: `delivered`, `failed` after the
 * last attempt, `cancelled` with their webhook) queued more than
 * `ANOMALY_ALERTING_WEBHOOK_DELIVERY_RETENTION_DAYS` ago. The alerts projection queues a delivery
 * per alert event and matching webhook, so without this the log grows with every alert for ever.
 * `pending` deliveries (still to be tried) are never deleted. Rows are taken with `SKIP LOCKED`:
 * instances sweeping at once share the work instead of waiting on each other.
 * Runs at start and every `ANOMALY_ALERTING_WEBHOOK_DELIVERY_SWEEP_MS`; `sweep()` resolves with
 * the deliveries deleted.
 */
@Injectable()
export class WebhookDeliveryRetention extends PeriodicSweep<number> {
  constructor(
    @Inject(CONFIG) private readonly config: AnomalyAlertingConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {
    super({ name: 'WebhookDeliveryRetention', intervalMs: config.ANOMALY_ALERTING_WEBHOOK_DELIVERY_SWEEP_MS, failed: 0 });
  }

  protected async round(now: Date, shouldStop: () => boolean): Promise<number> {
    const s = quoteSchema(this.store.schema);
    const cutoff = new Date(now.getTime() - this.config.ANOMALY_ALERTING_WEBHOOK_DELIVERY_RETENTION_DAYS * 86_400_000);
    let total = 0;
    const started = Date.now();
    for (let batches = 1; ; batches++) {
      // The status list is the predicate of the `webhook_deliveries_finished` index.
      const [{ deleted }]: Array<{ deleted: number }> = await this.dataSource.query(
        `WITH doomed AS (
           SELECT id FROM ${s}.webhook_deliveries
           WHERE status IN ('delivered', 'failed', 'cancelled') AND created_at < $1
           ORDER BY created_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         ),
         deleted AS (
           DELETE FROM ${s}.webhook_deliveries d USING doomed WHERE d.id = doomed.id RETURNING 1
         )
         SELECT count(*)::int AS deleted FROM deleted`,
        [cutoff, SWEEP_BATCH],
      );
      total += deleted;
      if (deleted < SWEEP_BATCH || shouldStop()) break;
      if (batches % 20 === 0) this.logger.log({ deleted: total }, 'webhook delivery retention: sweeping');
    }
    if (total) {
      this.logger.log(
        { deleted: total, olderThan: cutoff.toISOString(), ms: Date.now() - started },
        'webhook delivery retention: finished deliveries past the retention deleted',
      );
    }
    return total;
  }
}
