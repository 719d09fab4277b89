import { Inject, Injectable } from '@nestjs/common';
import { WardenError } from '@warden/contracts';
import { StaticKeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AnomalyAlertingConfig } from '../../core/config';
import type { CreateWebhookBody, DeliveryView, WebhookView } from './webhook.dto';
import { sealSecret } from './webhook-secret.util';

export class WebhookNotFound extends WardenError {
  readonly code = 'WEBHOOK_NOT_FOUND';
  readonly status = 404;
}
export class WebhookUrlRefused extends WardenError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
}

type Row = { id: string; url: string; min_severity: string; created_by: string; created_at: Date };
const view = (r: Row): WebhookView => ({
  id: r.id,
  url: r.url,
  minSeverity: r.min_severity,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

@Injectable()
export class WebhookService {
  readonly keys: StaticKeyProvider;

  constructor(
    @Inject(CONFIG) private readonly config: AnomalyAlertingConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {
    this.keys = StaticKeyProvider.fromKeyring(config.WARDEN_KEKS);
  }

  get s(): string {
    return quoteSchema(this.store.schema);
  }

  async create(body: CreateWebhookBody, by: string): Promise<WebhookView> {
    if (!this.config.WEBHOOKS_ALLOW_HTTP && !body.url.startsWith('https://')) {
      throw new WebhookUrlRefused('body.url: must be an https:// URL');
    }
    const id = uuidv7();
    const sealed = await sealSecret(this.keys, id, body.secret);
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO ${this.s}.webhooks (id, url, min_severity, secret_key, secret_ciphertext, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, url, min_severity, created_by, created_at`,
      [id, body.url, body.minSeverity, JSON.stringify(sealed.key), sealed.ciphertext, by],
    );
    return view(rows[0]);
  }

  async list(): Promise<WebhookView[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, url, min_severity, created_by, created_at FROM ${this.s}.webhooks WHERE deleted_at IS NULL ORDER BY created_at`,
    );
    return rows.map(view);
  }

  async remove(id: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH gone AS (UPDATE ${this.s}.webhooks SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id) SELECT id FROM gone`,
      [id],
    );
    if (!rows.length) throw new WebhookNotFound(`webhook ${id} not found`);
    await this.dataSource.query(`UPDATE ${this.s}.webhook_deliveries SET status = 'cancelled' WHERE webhook_id = $1 AND status = 'pending'`, [id]);
  }

  async deliveries(id: string, limit = 100): Promise<DeliveryView[]> {
    const exists: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${this.s}.webhooks WHERE id = $1`, [id]);
    if (!exists.length) throw new WebhookNotFound(`webhook ${id} not found`);
    const rows: Array<{
      id: string;
      event_id: string;
      event_type: string;
      alert_id: string;
      status: string;
      attempts: number;
      next_attempt_at: Date;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: Date | null;
      created_at: Date;
    }> = await this.dataSource.query(
      `SELECT * FROM ${this.s}.webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
      [id, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      eventId: r.event_id,
      eventType: r.event_type,
      alertId: r.alert_id,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null,
      createdAt: r.created_at.toISOString(),
    }));
  }
}
