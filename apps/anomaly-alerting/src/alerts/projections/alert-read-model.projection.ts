import type { AlertEvent, EventEnvelope, Severity } from '@warden/contracts';
import { SEVERITIES } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { EntityManager } from 'typeorm';
import { detectionFinding, type AlertSnapshot } from '../../delivery/ocsf/ocsf.mapper';

type AlertRow = {
  id: string;
  rule: string;
  severity: Severity;
  score: number;
  user_id: string | null;
  summary: string;
  evidence: string[];
  count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  status: string;
};

export const snapshotOf = (row: AlertRow): AlertSnapshot => ({
  id: row.id,
  rule: row.rule,
  severity: row.severity,
  score: Number(row.score),
  userId: row.user_id,
  summary: row.summary,
  evidence: row.evidence,
  count: row.count,
  firstSeenAt: row.first_seen_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  status: row.status,
});

/**
 * The `alerts` read model, kept in the append's transaction. A row mirrors its alert's decider
 * state and names the stream version and hash it reflects, so the detector decides a repeat from
 * the row instead of replaying the stream. In the same transaction, each alert
 * event is queued as an OCSF Detection Finding (`ocsf_outbox`) and as a delivery to every webhook
 * whose `minSeverity` the alert reaches: nothing is announced that was not committed, and nothing
 * committed is left unannounced.
 */
export function alertReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  // Every alert event records the stream head the row now reflects (see AlertService).
  const head = (n: number) => `stream_version = $${n}, last_hash = $${n + 1}`;
  const at = (envelope: EventEnvelope): [number, string] => [envelope.streamVersion, envelope.hash];
  /** UPDATE … RETURNING * (TypeORM answers an UPDATE with [rows, affected]). */
  const updated = async (manager: EntityManager, sql: string, params: unknown[]): Promise<AlertRow | undefined> => {
    const [rows] = (await manager.query(sql, params)) as [AlertRow[], number];
    return rows[0];
  };
  const apply = async (envelope: EventEnvelope, manager: EntityManager): Promise<void> => {
    const event = envelope as unknown as AlertEvent & EventEnvelope;
    let row: AlertRow | undefined;
    switch (event.type) {
      case 'AlertRaised': {
        const d = event.data;
        const rows: AlertRow[] = await manager.query(
          `INSERT INTO ${s}.alerts (id, rule, severity, score, user_id, summary, evidence, count, first_seen_at, last_seen_at, status, stream_version, last_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12) RETURNING *`,
          [d.alertId, d.rule, d.severity, d.score, d.userId, d.summary, JSON.stringify(d.evidence), d.count, d.firstSeenAt, d.lastSeenAt, ...at(envelope)],
        );
        row = rows[0];
        break;
      }
      case 'AlertUpdated': {
        const d = event.data;
        row = await updated(
          manager,
          `UPDATE ${s}.alerts SET severity = $2, score = $3, evidence = evidence || $4::jsonb, count = $5,
             last_seen_at = GREATEST(last_seen_at, $6::timestamptz), ${head(7)} WHERE id = $1 RETURNING *`,
          [d.alertId, d.severity, d.score, JSON.stringify(d.addedEvidence), d.count, d.lastSeenAt, ...at(envelope)],
        );
        break;
      }
      case 'AlertAcknowledged':
        row = await updated(
          manager,
          `UPDATE ${s}.alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3, ${head(4)} WHERE id = $1 RETURNING *`,
          [event.data.alertId, event.data.by, event.occurredAt, ...at(envelope)],
        );
        break;
      case 'AlertResolved':
        row = await updated(
          manager,
          `UPDATE ${s}.alerts SET status = $2, resolved_by = $3, resolved_at = $4, resolution = $2, comment = $5, ${head(6)} WHERE id = $1 RETURNING *`,
          [event.data.alertId, event.data.resolution, event.data.by, event.occurredAt, event.data.comment, ...at(envelope)],
        );
        // A closed alert takes no more repeats: the next finding raises a new one.
        await manager.query(`DELETE FROM ${s}.open_alerts WHERE alert_id = $1`, [event.data.alertId]);
        // Responses not carried out yet are dropped; a false positive undoes those carried out.
        await manager.query(`DELETE FROM ${s}.pending_responses WHERE alert_id = $1 AND undo = false`, [event.data.alertId]);
        if (event.data.resolution === 'false_positive') {
          await manager.query(
            `INSERT INTO ${s}.pending_responses (alert_id, user_id, response, undo, reference)
             SELECT a.id, a.user_id, r->>'response', true, r->>'reference' FROM ${s}.alerts a, jsonb_array_elements(a.responses) r
             WHERE a.id = $1 AND a.user_id IS NOT NULL AND (r->>'undo')::boolean = false
             ON CONFLICT DO NOTHING`,
            [event.data.alertId],
          );
        }
        break;
      case 'AlertResponseTaken': {
        const d = event.data;
        await manager.query(`UPDATE ${s}.alerts SET responses = responses || $2::jsonb, ${head(3)} WHERE id = $1`, [
          d.alertId,
          JSON.stringify([{ response: d.response, undo: d.undo, reference: d.reference, at: event.occurredAt }]),
          ...at(envelope),
        ]);
        return;
      }
      case 'AlertRuleChanged':
        await manager.query(
          `INSERT INTO ${s}.rule_settings (rule, settings, changed_by, changed_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule) DO UPDATE SET settings = EXCLUDED.settings, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at`,
          [event.data.rule, JSON.stringify(event.data.settings), event.data.changedBy, event.occurredAt],
        );
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unprojected ${(unknown as { type: string }).type}`);
      }
    }
    if (!row) return;
    // The OCSF record and the webhook deliveries in one statement.
    const snapshot = snapshotOf(row);
    const finding = detectionFinding(envelope, snapshot);
    const reached = SEVERITIES.slice(0, SEVERITIES.indexOf(snapshot.severity) + 1);
    const body = JSON.stringify({ eventId: envelope.eventId, type: envelope.type, occurredAt: envelope.occurredAt, alert: snapshot });
    await manager.query(
      `WITH ocsf AS (INSERT INTO ${s}.ocsf_outbox (key, record) SELECT $3::text, $6::jsonb WHERE $6::jsonb IS NOT NULL)
       INSERT INTO ${s}.webhook_deliveries (webhook_id, event_id, event_type, alert_id, body)
       SELECT id, $1::uuid, $2::text, $3::uuid, $4::text FROM ${s}.webhooks WHERE deleted_at IS NULL AND min_severity = ANY($5::text[])
       ON CONFLICT DO NOTHING`,
      [envelope.eventId, envelope.type, snapshot.id, body, reached, finding ? JSON.stringify(finding) : null],
    );
  };
  return {
    name: 'alert-read-model',
    handles: ['AlertRaised', 'AlertUpdated', 'AlertAcknowledged', 'AlertResolved', 'AlertResponseTaken', 'AlertRuleChanged'],
    async apply(events, manager) {
      for (const event of events) await apply(event, manager);
    },
  };
}
