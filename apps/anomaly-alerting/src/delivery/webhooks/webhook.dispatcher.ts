import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { WrappedKey } from '@warden/crypto';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { AnomalyAlertingConfig } from '../../core/config';
import { backoffMs, openSecret, signDelivery } from './webhook-secret.util';
import { WebhookService } from './webhook.service';

const BATCH = 20;
const IDLE_MS = 200;
const TIMEOUT_MS = 5000;
/** A claimed delivery whose instance died is tried again after this long. */
const CLAIM_SECONDS = 60;

type Claimed = { id: string; webhook_id: string; body: string; attempts: number; url: string; secret_key: WrappedKey; secret_ciphertext: string };

/**
 * Sends the queued deliveries (queued by the alerts projection in the alert's transaction). Each
 * instance claims due ones with `FOR UPDATE SKIP LOCKED`, posts them outside any transaction
 * (`X-Warden-Timestamp`, `X-Warden-Signature`, `X-Warden-Event-Id`, `X-Warden-Delivery`), and
 * records the outcome: 2xx delivered; otherwise retried with back-off until WEBHOOK_MAX_ATTEMPTS,
 * then `failed`. Delivery is at least once: receivers deduplicate by `X-Warden-Event-Id`.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: AnomalyAlertingConfig,
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookService,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed: Claimed[] = [];
      try {
        claimed = await this.claim();
        await Promise.all(claimed.map((d) => this.deliver(d)));
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'webhook dispatch failed; retrying');
      }
      if (claimed.length < BATCH) await new Promise((r) => setTimeout(r, IDLE_MS));
    }
  }

  private claim(): Promise<Claimed[]> {
    const s = this.webhooks.s;
    return this.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM ${s}.webhook_deliveries d
         WHERE d.status = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE ${s}.webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + interval '${CLAIM_SECONDS} seconds'
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.webhook_id, d.body, d.attempts
       )
       SELECT c.*, w.url, w.secret_key, w.secret_ciphertext FROM claimed c JOIN ${s}.webhooks w ON w.id = c.webhook_id`,
    );
  }

  private async deliver(d: Claimed): Promise<void> {
    const s = this.webhooks.s;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const secret = await openSecret(this.webhooks.keys, d.webhook_id, d.secret_key, d.secret_ciphertext);
      const timestamp = Math.floor(Date.now() / 1000);
      const eventId = (JSON.parse(d.body) as { eventId: string }).eventId;
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Warden-Webhooks/1',
          'x-warden-timestamp': String(timestamp),
          'x-warden-signature': signDelivery(secret, timestamp, d.body),
          'x-warden-event-id': eventId,
          'x-warden-delivery': String(d.id),
        },
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) {
        await this.dataSource.query(
          `UPDATE ${s}.webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL WHERE id = $1`,
          [d.id, status],
        );
        return;
      }
      error = `answered ${res.status}`;
    } catch (e) {
      // The error of a failed request names the host at most; never the secret or the body.
      error = (e as Error).name === 'TimeoutError' ? 'timed out' : `request failed: ${(e as Error).message}`.slice(0, 500);
    }
    const giveUp = d.attempts >= this.config.WEBHOOK_MAX_ATTEMPTS;
    await this.dataSource.query(
      `UPDATE ${s}.webhook_deliveries SET status = $2, last_status_code = $3, last_error = $4,
         next_attempt_at = now() + ($5::int * interval '1 millisecond') WHERE id = $1 AND status = 'pending'`,
      [d.id, giveUp ? 'failed' : 'pending', status, error, backoffMs(d.attempts)],
    );
  }
}
