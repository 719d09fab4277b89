import { Injectable } from '@nestjs/common';
import { alertStreamId, systemActor, type AlertEvent, type AlertResponse, type AlertRule, type EventEnvelope, type Severity } from '@warden/contracts';
import { type CommandMetadata, EventStore, quoteSchema } from '@warden/event-store';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AlertCommand } from './alert.commands';
import { alertDecider, decideAlert, evolveAlert, initialAlertState, type AlertState } from './alert.decider';
import { planGroup, type FindingGroup, type RecordOutcome } from './alert-batch.util';

export type { FindingGroup, RecordOutcome, Sighting } from './alert-batch.util';

/** An alert as this transaction knows it: its decider state and its stream's head. */
type Current = { alertId: string; state: AlertState; version: number; hash: string };

type SnapshotRow = {
  id: string;
  rule: AlertRule;
  user_id: string | null;
  status: AlertState['status'];
  severity: Severity;
  score: number;
  count: number;
  evidence: string[];
  responses: Array<{ response: AlertResponse; undo: boolean }>;
  stream_version: number | null;
  last_hash: string | null;
};

type OpenRow = { rule: string; subject: string; alert_id: string; last_seen_at: Date; inserted: boolean };

const keyOf = (rule: string, subject: string): string => `${rule}\u0000${subject}`;

/** The responses in force: taken and not undone since (what `evolveAlert` folds). */
const inForce = (log: SnapshotRow['responses']): AlertResponse[] =>
  log.reduce<AlertResponse[]>((held, r) => (r.undo ? held.filter((x) => x !== r.response) : [...held, r.response]), []);

const stateOf = (row: SnapshotRow): AlertState => ({
  alertId: row.id,
  rule: row.rule,
  userId: row.user_id,
  status: row.status,
  severity: row.severity,
  score: Number(row.score),
  count: row.count,
  evidence: row.evidence,
  responses: inForce(row.responses),
});

/**
 * Findings become alerts. Raise-or-update is race-free across instances: the `(rule, subject)`
 * rows of `open_alerts` are upserted first, which locks them until the transaction ends, so two
 * instances that find the same thing at once queue on that row; the second sees the first's alert
 * and updates it. A repeat outside the rule's window (or after the alert was resolved, which
 * deletes the row) raises a new alert.
 *
 * A repeat is decided from the alert's row in the `alerts` read model, which mirrors the decider's
 * state field for field and records the stream version and hash it reflects (it is kept in the
 * transaction of every append): the alert's stream is not replayed, however many repeats it holds.
 */
@Injectable()
export class AlertService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  /**
   * The findings of a batch, in the consumer's transaction (`manager`): one upsert of every
   * `(rule, subject)` row (in one fixed order, so two transactions never lock them in opposite
   * orders), one read of the open alerts' rows, then per alert one append of its new alert and/or
   * of its folded repeats (each caused by its consumed event), then one update of the rows.
   * Returns the outcome of each sighting, group by group.
   */
  async recordBatch(groups: readonly FindingGroup[], manager: EntityManager): Promise<RecordOutcome[][]> {
    const live = groups.filter((g) => g.sightings.length > 0);
    if (live.length === 0) return groups.map(() => []);
    for (const { sightings } of live) {
      const { rule, subject } = sightings[0].finding;
      if (sightings.some(({ finding }) => finding.rule !== rule || finding.subject !== subject)) {
        throw new Error('a finding group holds the findings of one (rule, subject)');
      }
    }
    const candidates = live.map(() => uuidv7());
    const firsts = live.map((g) => g.sightings[0].finding);
    const upserted: OpenRow[] = await manager.query(
      `INSERT INTO ${this.s}.open_alerts (rule, subject, alert_id, last_seen_at)
       SELECT v.rule, v.subject, v.alert_id, v.last_seen_at
       FROM unnest($1::text[], $2::text[], $3::uuid[], $4::timestamptz[]) AS v(rule, subject, alert_id, last_seen_at)
       ORDER BY v.rule COLLATE "C", v.subject COLLATE "C"
       ON CONFLICT (rule, subject) DO UPDATE SET rule = EXCLUDED.rule
       RETURNING rule, subject, alert_id, last_seen_at, (xmax = 0) AS inserted`,
      [firsts.map((f) => f.rule), firsts.map((f) => f.subject), candidates, firsts.map((f) => new Date(f.at).toISOString())],
    );
    const rowOf = new Map(upserted.map((r) => [keyOf(r.rule, r.subject), r]));
    const known = await this.loadAll(
      upserted.filter((r) => !r.inserted).map((r) => r.alert_id),
      manager,
    );

    const outcomes = new Map<FindingGroup, RecordOutcome[]>();
    const moved: Array<{ rule: string; subject: string; alertId: string; lastSeenAt: string }> = [];
    for (const [g, group] of live.entries()) {
      const first = firsts[g];
      const row = rowOf.get(keyOf(first.rule, first.subject)) as OpenRow;
      const plan = planGroup(group, row, candidates[g], uuidv7);
      outcomes.set(group, plan.outcomes);
      for (const write of plan.writes) {
        const current =
          write.command.type === 'RaiseAlert'
            ? { alertId: write.alertId, state: initialAlertState, version: 0, hash: '' }
            : (known.get(write.alertId) ?? (await this.loadOne(write.alertId, manager)));
        known.set(write.alertId, await this.apply(current, write.command, write.cause, manager));
        if (write.command.type === 'RaiseAlert' && write.command.userId) {
          for (const response of group.settings.response) {
            await manager.query(
              `INSERT INTO ${this.s}.pending_responses (alert_id, user_id, response, undo) VALUES ($1, $2, $3, false) ON CONFLICT DO NOTHING`,
              [write.alertId, write.command.userId, response],
            );
          }
        }
      }
      const open = plan.open as { alertId: string; lastSeenAt: number };
      const unchanged = row.inserted
        ? open.alertId === candidates[g] && open.lastSeenAt === row.last_seen_at.getTime()
        : open.alertId === row.alert_id && open.lastSeenAt <= row.last_seen_at.getTime();
      if (!unchanged) moved.push({ rule: first.rule, subject: first.subject, alertId: open.alertId, lastSeenAt: new Date(open.lastSeenAt).toISOString() });
    }
    if (moved.length) {
      await manager.query(
        `UPDATE ${this.s}.open_alerts o SET alert_id = v.alert_id, last_seen_at = v.last_seen_at
         FROM unnest($1::text[], $2::text[], $3::uuid[], $4::timestamptz[]) AS v(rule, subject, alert_id, last_seen_at)
         WHERE o.rule = v.rule AND o.subject = v.subject`,
        [moved.map((m) => m.rule), moved.map((m) => m.subject), moved.map((m) => m.alertId), moved.map((m) => m.lastSeenAt)],
      );
    }
    return groups.map((g) => outcomes.get(g) ?? []);
  }

  /** Decides `command` on the known state and appends the outcome at the known head (a concurrent write is a conflict). */
  private async apply(current: Current, command: AlertCommand, cause: EventEnvelope, manager: EntityManager): Promise<Current> {
    const events = decideAlert(command, current.state);
    if (events.length === 0) return current;
    const metadata: CommandMetadata = {
      actor: systemActor('anomaly-alerting'),
      correlationId: cause.correlationId,
      causationId: cause.eventId,
      now: new Date(),
    };
    const result = await this.store.append(alertStreamId(current.alertId), events, {
      expectedVersion: current.version,
      expectedHash: current.version === 0 ? undefined : current.hash,
      metadata,
      manager,
    });
    return {
      alertId: current.alertId,
      state: events.reduce(evolveAlert, current.state),
      version: result.streamVersion,
      hash: result.events[result.events.length - 1].hash,
    };
  }

  /**
   * The alerts' states from their read-model rows, for the rows that say which stream version they
   * reflect (read in this transaction: the committed head, or this transaction's own write). The
   * others (rows written before the rows kept their version) are left to `loadOne`.
   */
  private async loadAll(alertIds: readonly string[], manager: EntityManager): Promise<Map<string, Current>> {
    if (alertIds.length === 0) return new Map();
    const rows: SnapshotRow[] = await manager.query(
      `SELECT id, rule, user_id, status, severity, score, count, evidence, responses, stream_version, last_hash
       FROM ${this.s}.alerts WHERE id = ANY($1::uuid[])`,
      [alertIds],
    );
    return new Map(
      rows
        .filter((row) => row.stream_version !== null && row.last_hash !== null)
        .map((row) => [row.id, { alertId: row.id, state: stateOf(row), version: row.stream_version as number, hash: row.last_hash as string }]),
    );
  }

  /** An alert's state folded from its stream. */
  private async loadOne(alertId: string, manager: EntityManager): Promise<Current> {
    const { state, version, hash } = await this.store.aggregate<AlertState>(
      alertStreamId(alertId),
      (s, e) => evolveAlert(s, e as unknown as AlertEvent),
      initialAlertState,
      manager,
    );
    return { alertId, state, version, hash };
  }

  /**
   * Acknowledge, resolve or record a response (HTTP or the response worker). Resolving deletes the
   * alert's `open_alerts` row: that row is locked first, in the order the detector locks (the row,
   * then the stream), so a resolve and a repeat of the same alert queue instead of deadlocking.
   */
  async handle(alertId: string, command: AlertCommand, metadata: CommandMetadata): Promise<void> {
    if (command.type !== 'ResolveAlert') {
      await this.store.handle(alertStreamId(alertId), alertDecider, command, { metadata });
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM ${this.s}.open_alerts WHERE alert_id = $1 FOR UPDATE`, [alertId]);
      await this.store.handle(alertStreamId(alertId), alertDecider, command, { metadata, manager });
    });
  }
}
