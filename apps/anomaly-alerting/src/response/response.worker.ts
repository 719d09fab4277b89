import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { alertResponseSchema, systemActor, type AlertResponse } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { ServiceTokenClient } from '@warden/security';
import { DataSource } from 'typeorm';
import { AlertService } from '../alerts/alert.service';
import type { AnomalyAlertingConfig } from '../core/config';

/** How long an automated export suspension lasts (a person decides sooner by resolving the alert). */
export const SUSPENSION_HOURS = 24;
const BATCH = 10;
const IDLE_MS = 500;
const MAX_ATTEMPTS = 10;

type Pending = { id: string; alert_id: string; user_id: string; response: string; undo: boolean; reference: string | null; attempts: number };

/** What carrying out (or undoing) one response means against the authorization service's API. */
export type ResponseCall = { method: 'POST' | 'DELETE'; path: string; body?: Record<string, unknown> } | null;

export function responseCall(response: AlertResponse, undo: boolean, userId: string, alertId: string, reference: string | null, now: Date): ResponseCall {
  const user = `/v1/users/${encodeURIComponent(userId)}`;
  const reason = `anomaly-alerting alert ${alertId}`;
  switch (response) {
    case 'suspend-exports':
      if (undo) return reference ? { method: 'DELETE', path: `${user}/restrictions/${encodeURIComponent(reference)}` } : null;
      return {
        method: 'POST',
        path: `${user}/restrictions`,
        body: { action: 'export', until: new Date(now.getTime() + SUSPENSION_HOURS * 3600_000).toISOString(), reason },
      };
    case 'end-sessions':
      // Ended sessions cannot come back: undoing is recording that the user may simply log in again.
      return undo ? null : { method: 'POST', path: `${user}/sessions/revoke-all`, body: { reason: 'automated_response' } };
    case 'require-mfa':
      // Authorization offers no way to lift the requirement: a second factor stays required.
      return undo ? null : { method: 'POST', path: `${user}/require-mfa`, body: { reason } };
    default: {
      const unknown: never = response;
      throw new Error(`unknown response ${String(unknown)}`);
    }
  }
}

/**
 * Carries out the automated responses queued with an alert (`pending_responses`), and their undoing
 * when the alert is resolved as a false positive, as the `system:anomaly-alerting` principal. Each
 * one done is recorded as AlertResponseTaken on the alert's stream. Without SERVICE_CLIENT_SECRET
 * the queue waits (nothing is done without credentials).
 */
@Injectable()
export class ResponseWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ResponseWorker');
  private readonly tokens: ServiceTokenClient | null;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: AnomalyAlertingConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly alerts: AlertService,
  ) {
    this.tokens = config.SERVICE_CLIENT_SECRET
      ? new ServiceTokenClient({
          authorizationUrl: config.AUTHORIZATION_URL,
          clientId: config.SERVICE_CLIENT_ID,
          clientSecret: config.SERVICE_CLIENT_SECRET,
        })
      : null;
  }

  onApplicationBootstrap(): void {
    if (!this.tokens) {
      this.logger.warn('SERVICE_CLIENT_SECRET is not set: automated responses stay queued');
      return;
    }
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const s = quoteSchema(this.store.schema);
    while (this.running) {
      let claimed: Pending[] = [];
      try {
        // A plain SELECT at the end: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
        claimed = await this.dataSource.query(
          `WITH due AS (SELECT id FROM ${s}.pending_responses WHERE next_attempt_at <= now() AND attempts < ${MAX_ATTEMPTS}
             ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
           claimed AS (UPDATE ${s}.pending_responses p SET attempts = p.attempts + 1, next_attempt_at = now() + interval '60 seconds'
             FROM due WHERE p.id = due.id RETURNING p.*)
           SELECT * FROM claimed ORDER BY id`,
        );
        for (const p of claimed) await this.carryOut(p, s);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'response queue failed; retrying');
      }
      if (claimed.length < BATCH) await new Promise((r) => setTimeout(r, IDLE_MS));
    }
  }

  private async carryOut(p: Pending, s: string): Promise<void> {
    const response = alertResponseSchema.parse(p.response);
    try {
      const call = responseCall(response, p.undo, p.user_id, p.alert_id, p.reference, new Date());
      let reference = p.reference;
      if (call) {
        const res = await fetch(`${this.config.AUTHORIZATION_URL}${call.path}`, {
          method: call.method,
          headers: { authorization: `Bearer ${await (this.tokens as ServiceTokenClient).token()}`, 'content-type': 'application/json' },
          body: call.body ? JSON.stringify(call.body) : undefined,
          signal: AbortSignal.timeout(5000),
        });
        if (res.status === 401) (this.tokens as ServiceTokenClient).invalidate();
        if (res.status >= 300) {
          await res.body?.cancel();
          throw new Error(`authorization answered ${res.status} to ${call.method} ${call.path.replace(/\/v1\/users\/[^/]+/, '/v1/users/:id')}`);
        }
        const answer = res.status === 204 ? null : ((await res.json()) as { restrictionId?: unknown });
        if (!p.undo && typeof answer?.restrictionId === 'string') reference = answer.restrictionId;
      }
      await this.alerts.handle(
        p.alert_id,
        { type: 'RecordResponse', response, undo: p.undo, reference },
        { actor: systemActor('anomaly-alerting'), correlationId: `alert-${p.alert_id}`, causationId: null, now: new Date() },
      );
      await this.dataSource.query(`DELETE FROM ${s}.pending_responses WHERE id = $1`, [p.id]);
    } catch (error) {
      const backoff = Math.min(300, 2 ** p.attempts);
      await this.dataSource.query(
        `UPDATE ${s}.pending_responses SET last_error = $2, next_attempt_at = now() + ($3::int * interval '1 second') WHERE id = $1`,
        [p.id, (error as Error).message.slice(0, 500), backoff],
      );
    }
  }
}
