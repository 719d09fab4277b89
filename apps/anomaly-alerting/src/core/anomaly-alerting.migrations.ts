import { createIndexOnline, quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service's own tables (besides the event store's and the inbox's):
 * - `alerts`: read model of the alert streams (inline projection), each row with the stream
 *   version and hash it reflects;
 * - `open_alerts`: one row per (rule, subject) whose alert still takes repeats: the unique key
 *   that makes raise-or-update race-free across instances (the row is locked by the upsert);
 * - `evidence_events`: compact copies of consumed events, to resolve an alert's evidence (those no
 *   alert names expire after `ANOMALY_ALERTING_EVIDENCE_RETENTION_DAYS`);
 * - `rule_settings`: read model of the rule streams;
 * - `ocsf_outbox`: OCSF records waiting to be published to `warden.alerts.ocsf.v1`;
 * - `webhooks`, `webhook_deliveries`: subscriptions (secret envelope-encrypted) and the delivery log
 *   (finished deliveries expire after `ANOMALY_ALERTING_WEBHOOK_DELIVERY_RETENTION_DAYS`);
 * - `pending_responses`: automated responses (and their undoing) still to be carried out.
 */
export function anomalyAlertingMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);

  class AnomalyAlerting1765000000000 implements MigrationInterface {
    name = 'AnomalyAlerting1765000000000';

    async up(q: QueryRunner): Promise<void> {
      await q.query(`
        CREATE TABLE ${s}.alerts (
          seq bigserial UNIQUE,
          id uuid PRIMARY KEY,
          rule text NOT NULL,
          severity text NOT NULL,
          score real NOT NULL,
          user_id text,
          summary text NOT NULL,
          evidence jsonb NOT NULL,
          count integer NOT NULL,
          first_seen_at timestamptz NOT NULL,
          last_seen_at timestamptz NOT NULL,
          status text NOT NULL,
          acknowledged_by text,
          acknowledged_at timestamptz,
          resolved_by text,
          resolved_at timestamptz,
          resolution text,
          comment text,
          responses jsonb NOT NULL DEFAULT '[]'
        )`);
      await q.query(`CREATE INDEX alerts_status ON ${s}.alerts (status, seq DESC)`);
      await q.query(`CREATE INDEX alerts_user ON ${s}.alerts (user_id, seq DESC)`);
      await q.query(`CREATE INDEX alerts_rule ON ${s}.alerts (rule, seq DESC)`);
      await q.query(`
        CREATE TABLE ${s}.open_alerts (
          rule text NOT NULL,
          subject text NOT NULL,
          alert_id uuid NOT NULL,
          last_seen_at timestamptz NOT NULL,
          PRIMARY KEY (rule, subject)
        )`);
      await q.query(`CREATE INDEX open_alerts_alert ON ${s}.open_alerts (alert_id)`);
      await q.query(`
        CREATE TABLE ${s}.evidence_events (
          event_id uuid PRIMARY KEY,
          type text NOT NULL,
          occurred_at timestamptz NOT NULL,
          stream_id text NOT NULL,
          topic text NOT NULL,
          actor jsonb NOT NULL,
          data jsonb NOT NULL,
          stored_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.rule_settings (
          rule text PRIMARY KEY,
          settings jsonb NOT NULL,
          changed_by text NOT NULL,
          changed_at timestamptz NOT NULL
        )`);
      await q.query(`
        CREATE TABLE ${s}.ocsf_outbox (
          id bigserial PRIMARY KEY,
          key text NOT NULL,
          record jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`
        CREATE TABLE ${s}.webhooks (
          id uuid PRIMARY KEY,
          url text NOT NULL,
          min_severity text NOT NULL,
          secret_key jsonb NOT NULL,
          secret_ciphertext text NOT NULL,
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz
        )`);
      await q.query(`
        CREATE TABLE ${s}.webhook_deliveries (
          id bigserial PRIMARY KEY,
          webhook_id uuid NOT NULL REFERENCES ${s}.webhooks (id),
          event_id uuid NOT NULL,
          event_type text NOT NULL,
          alert_id uuid NOT NULL,
          body text NOT NULL,
          status text NOT NULL DEFAULT 'pending',
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          last_status_code integer,
          last_error text,
          delivered_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (webhook_id, event_id)
        )`);
      await q.query(`CREATE INDEX webhook_deliveries_due ON ${s}.webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
      await q.query(`
        CREATE TABLE ${s}.pending_responses (
          id bigserial PRIMARY KEY,
          alert_id uuid NOT NULL,
          user_id text NOT NULL,
          response text NOT NULL,
          undo boolean NOT NULL,
          reference text,
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          last_error text,
          UNIQUE (alert_id, response, undo)
        )`);
    }

    async down(q: QueryRunner): Promise<void> {
      for (const table of ['pending_responses', 'webhook_deliveries', 'webhooks', 'ocsf_outbox', 'rule_settings', 'evidence_events', 'open_alerts', 'alerts']) {
        await q.query(`DROP TABLE ${s}.${table}`);
      }
    }
  }

  /**
   * Each `alerts` row names the stream version and hash it reflects, so that a repeat is decided
   * from the row instead of replaying the alert's stream. Rows from before stay null and are
   * decided from their stream until their next event fills them in.
   */
  class AnomalyAlertingAlertHead1765500000000 implements MigrationInterface {
    name = 'AnomalyAlertingAlertHead1765500000000';

    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.alerts ADD COLUMN stream_version integer, ADD COLUMN last_hash text`);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.alerts DROP COLUMN stream_version, DROP COLUMN last_hash`);
    }
  }

  /**
   * Evidence copies expire (`EvidenceRetention`): `kept` marks a copy an alert names (kept for
   * good, never looked at again); the partial index finds the oldest copies not yet kept; the GIN
   * index answers "does any alert name this event" without reading every alert.
   */
  class AnomalyAlertingEvidenceRetention1766600000000 implements MigrationInterface {
    name = 'AnomalyAlertingEvidenceRetention1766600000000';
    // Outside a transaction: evidence_events may be large, and its indexes are built without
    // blocking the detector's inserts.
    transaction = false;

    async up(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE ${s}.evidence_events ADD COLUMN IF NOT EXISTS kept boolean NOT NULL DEFAULT false`);
      await createIndexOnline(q, schema, 'evidence_events_expiry', 'evidence_events', '(stored_at) WHERE NOT kept');
      await createIndexOnline(q, schema, 'alerts_evidence', 'alerts', 'USING gin (evidence jsonb_path_ops)');
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX ${s}.alerts_evidence`);
      await q.query(`DROP INDEX ${s}.evidence_events_expiry`);
      await q.query(`ALTER TABLE ${s}.evidence_events DROP COLUMN kept`);
    }
  }

  /**
   * Finished webhook deliveries expire (`WebhookDeliveryRetention`): the partial index finds the
   * oldest finished ones (pending ones, still to be tried, are never deleted and not in it).
   */
  class AnomalyAlertingWebhookDeliveryRetention1795996800000 implements MigrationInterface {
    name = 'AnomalyAlertingWebhookDeliveryRetention1795996800000';
    // Outside a transaction: webhook_deliveries may be large, and its index is built without
    // blocking the alerts projection's inserts and the dispatcher's updates.
    transaction = false;

    async up(q: QueryRunner): Promise<void> {
      const finished = "WHERE status IN ('delivered', 'failed', 'cancelled')";
      await createIndexOnline(q, schema, 'webhook_deliveries_finished', 'webhook_deliveries', `(created_at) ${finished}`);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX ${s}.webhook_deliveries_finished`);
    }
  }

  return [
    AnomalyAlerting1765000000000,
    AnomalyAlertingAlertHead1765500000000,
    AnomalyAlertingEvidenceRetention1766600000000,
    AnomalyAlertingWebhookDeliveryRetention1795996800000,
  ];
}
