import { SEVERITIES, type EventEnvelope, type Severity } from '@warden/contracts';
import type { Finding } from '../detection/detection.types';
import type { RuleSettings } from '../detection/rule-settings';
import type { RaiseAlert, RecordRepeat } from './alert.commands';
import { MAX_EVIDENCE } from './alert.decider';

export type RecordOutcome = { alertId: string; raised: boolean };

/** A finding and the consumed event that caused it. */
export type Sighting = { finding: Finding; cause: EventEnvelope };

/** The findings of one (rule, subject) in a batch, in the order of their events, with the rule's settings. */
export type FindingGroup = { sightings: readonly Sighting[]; settings: RuleSettings };

/** What one group writes, in order: a new alert, or the repeats of a batch folded into one. */
export type AlertWrite = { alertId: string; command: RaiseAlert | RecordRepeat; cause: EventEnvelope };

/** The group's `open_alerts` row as the upsert returned it (`inserted`: it did not exist). */
export type OpenAlertRow = { alert_id: string; last_seen_at: Date; inserted: boolean };

const higher = (a: Severity, b: Severity): Severity => (SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b);

/**
 * The writes one group's findings make, given the group's `open_alerts` row (as upserted): a
 * finding within the rule's window of the open alert repeats it, otherwise it raises a new alert
 * (the first new one takes `candidate`, the id the upsert proposed). The repeats that follow each
 * other are folded into one `RecordRepeat` (count, highest severity and score, evidence, latest
 * time), so an alert storm updates an alert once per batch instead of once per event.
 */
export function planGroup(
  { sightings, settings }: FindingGroup,
  row: OpenAlertRow,
  candidate: string,
  newId: () => string,
): { writes: AlertWrite[]; outcomes: RecordOutcome[]; open: { alertId: string; lastSeenAt: number } | null } {
  const writes: AlertWrite[] = [];
  const outcomes: RecordOutcome[] = [];
  let open = row.inserted ? null : { alertId: row.alert_id, lastSeenAt: row.last_seen_at.getTime() };
  let nextId = candidate;
  for (const { finding, cause } of sightings) {
    const at = new Date(finding.at).toISOString();
    if (open && finding.at - open.lastSeenAt <= settings.windowSeconds * 1000) {
      const alertId = open.alertId;
      open = { alertId, lastSeenAt: Math.max(open.lastSeenAt, finding.at) };
      const last = writes[writes.length - 1];
      const before = last?.alertId === alertId && last.command.type === 'RecordRepeat' ? last.command : null;
      if (before) {
        const command: RecordRepeat = {
          type: 'RecordRepeat',
          severity: higher(before.severity, finding.severity),
          score: Math.max(before.score, finding.score),
          // The first MAX_EVIDENCE distinct ids are all the decider can take (it keeps the first new ones).
          evidence: [...new Set([...before.evidence, ...finding.evidence])].slice(0, MAX_EVIDENCE),
          at: Date.parse(before.at) >= finding.at ? before.at : at,
          times: before.times + 1,
        };
        writes[writes.length - 1] = { alertId, command, cause };
      } else {
        writes.push({ alertId, cause, command: { type: 'RecordRepeat', severity: finding.severity, score: finding.score, evidence: finding.evidence, at, times: 1 } });
      }
      outcomes.push({ alertId, raised: false });
      continue;
    }
    const alertId = nextId;
    nextId = newId();
    writes.push({
      alertId,
      cause,
      command: {
        type: 'RaiseAlert',
        alertId,
        rule: finding.rule,
        severity: finding.severity,
        score: finding.score,
        userId: finding.userId,
        summary: finding.summary,
        evidence: finding.evidence,
        at,
      },
    });
    open = { alertId, lastSeenAt: finding.at };
    outcomes.push({ alertId, raised: true });
  }
  return { writes, outcomes, open };
}
