import type { AlertView, EvidenceEvent, RuleView, Severity } from '../api/alerts.api';
import type { SseMessage } from '../api/event-stream';

/** Mantine colours of the severities: a glance tells how urgent an alert is. */
export const SEVERITY_COLORS: Record<Severity, string> = {
  low: 'blue',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

export const severityColor = (severity: string): string => SEVERITY_COLORS[severity as Severity] ?? 'gray';

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };
export const severityRank = (severity: string): number => SEVERITY_RANK[severity] ?? 0;

const RULE_LABELS: Record<string, string> = {
  'bulk-export': 'Bulk export',
  'clear-sensitive-export': 'Export with sensitive fields in clear',
  'mass-viewing': 'Mass viewing of customers',
  'new-device': 'Sign-in from a new device',
  'new-country': 'Sign-in from a new country',
  'new-network': 'Sign-in from a new network',
  'impossible-travel': 'Impossible travel',
  'off-hours-login': 'Sign-in at an unusual hour',
  'brute-force': 'Brute-force sign-in attempts',
  'password-spray': 'Password spraying',
  'access-denied-burst': 'Burst of refused accesses',
  'departing-user-activity': 'Activity of a departing user',
  'download-ip-mismatch': 'Download from another network',
  'audit-chain-broken': 'Audit chain broken',
};

/** `Bulk export` for `bulk-export`; an unknown rule reads as its words. */
export function ruleLabel(rule: string): string {
  const known = RULE_LABELS[rule];
  if (known) return known;
  const words = rule.replace(/[-_]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : rule;
}

/** Words for the threshold names of the rules (`absoluteRows` → `absolute rows`). */
export const thresholdLabel = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

export function alertStatusDisplay(status: string): { label: string; color: string } {
  switch (status) {
    case 'open':
      return { label: 'open', color: 'red' };
    case 'acknowledged':
      return { label: 'acknowledged', color: 'yellow' };
    case 'resolved':
      return { label: 'resolved', color: 'green' };
    case 'false_positive':
      return { label: 'false positive', color: 'gray' };
    default:
      return { label: status.replace(/_/g, ' '), color: 'gray' };
  }
}

export const isClosed = (status: string): boolean => status === 'resolved' || status === 'false_positive';

/** `90 s`, `10 min`, `1 h`, `1 h 30 min`, `24 h`. */
export function formatWindow(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return String(seconds);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago` (a future time reads `just now`). */
export function timeAgo(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** The alert events the stream carries, with what the feed needs of each. */
export type AlertStreamEvent =
  | {
      type: 'AlertRaised';
      occurredAt: string;
      data: {
        alertId: string;
        rule: string;
        severity: string;
        score: number;
        userId: string | null;
        summary: string;
        evidence: string[];
        count: number;
        firstSeenAt: string;
        lastSeenAt: string;
      };
    }
  | {
      type: 'AlertUpdated';
      occurredAt: string;
      data: {
        alertId: string;
        severity: string;
        score: number;
        addedEvidence: string[];
        count: number;
        lastSeenAt: string;
      };
    }
  | { type: 'AlertAcknowledged'; occurredAt: string; data: { alertId: string; by: string } }
  | {
      type: 'AlertResolved';
      occurredAt: string;
      data: { alertId: string; by: string; resolution: string; comment: string | null };
    }
  | {
      type: 'AlertResponseTaken';
      occurredAt: string;
      data: { alertId: string; response: string; undo: boolean; reference: string | null };
    };

const STREAM_TYPES = new Set([
  'AlertRaised',
  'AlertUpdated',
  'AlertAcknowledged',
  'AlertResolved',
  'AlertResponseTaken',
]);

/**
 * An alert event from a stream message (the event envelope as JSON); null for anything else — a
 * malformed or unknown message is skipped, never allowed to break the feed.
 */
export function parseAlertMessage(message: SseMessage): AlertStreamEvent | null {
  let envelope: unknown;
  try {
    envelope = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (typeof envelope !== 'object' || envelope === null) return null;
  const { type, occurredAt, data } = envelope as { type?: unknown; occurredAt?: unknown; data?: unknown };
  if (typeof type !== 'string' || !STREAM_TYPES.has(type)) return null;
  if (typeof data !== 'object' || data === null) return null;
  if (typeof (data as { alertId?: unknown }).alertId !== 'string') return null;
  return { type, occurredAt: typeof occurredAt === 'string' ? occurredAt : '', data } as AlertStreamEvent;
}

/**
 * The alerts list (newest first) after one stream event: a raised alert is added at the top (or
 * refreshed when already there), the others change the alert they name. An event about an alert
 * the list does not hold leaves it as it is.
 */
export function applyAlertEvent(alerts: readonly AlertView[], event: AlertStreamEvent): AlertView[] {
  const index = alerts.findIndex((alert) => alert.id === event.data.alertId);
  if (event.type === 'AlertRaised') {
    const d = event.data;
    const raised: AlertView = {
      id: d.alertId,
      rule: d.rule,
      severity: d.severity,
      score: d.score,
      userId: d.userId,
      summary: d.summary,
      evidence: d.evidence,
      count: d.count,
      firstSeenAt: d.firstSeenAt,
      lastSeenAt: d.lastSeenAt,
      status: 'open',
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedBy: null,
      resolvedAt: null,
      resolution: null,
      comment: null,
      responses: [],
    };
    if (index === -1) return [raised, ...alerts];
    return alerts.map((alert, i) => (i === index ? { ...alert, ...raised, status: alert.status } : alert));
  }
  if (index === -1) return [...alerts];
  const change = (alert: AlertView): AlertView => {
    switch (event.type) {
      case 'AlertUpdated':
        return {
          ...alert,
          severity: event.data.severity,
          score: event.data.score,
          count: event.data.count,
          lastSeenAt: event.data.lastSeenAt,
          evidence: [
            ...alert.evidence,
            ...event.data.addedEvidence.filter((e) => !alert.evidence.includes(e)),
          ],
        };
      case 'AlertAcknowledged':
        return {
          ...alert,
          status: 'acknowledged',
          acknowledgedBy: event.data.by,
          acknowledgedAt: event.occurredAt,
        };
      case 'AlertResolved':
        return {
          ...alert,
          status: event.data.resolution,
          resolution: event.data.resolution,
          resolvedBy: event.data.by,
          resolvedAt: event.occurredAt,
          comment: event.data.comment,
        };
      case 'AlertResponseTaken':
        return { ...alert, responses: [...alert.responses, event.data] };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  };
  return alerts.map((alert, i) => (i === index ? change(alert) : alert));
}

/** What to tell a person watching the console about a stream event: new alerts and escalations only. */
export function alertNotice(
  event: AlertStreamEvent,
  before: AlertView | undefined,
): { title: string; message: string; color: string } | null {
  if (event.type === 'AlertRaised' && !before) {
    return {
      title: `New ${event.data.severity} alert: ${ruleLabel(event.data.rule)}`,
      message: event.data.summary,
      color: severityColor(event.data.severity),
    };
  }
  if (
    event.type === 'AlertUpdated' &&
    before &&
    severityRank(event.data.severity) > severityRank(before.severity)
  ) {
    return {
      title: `Alert raised to ${event.data.severity}: ${ruleLabel(before.rule)}`,
      message: before.summary,
      color: severityColor(event.data.severity),
    };
  }
  return null;
}

const SHOWN_KEYS = [
  'rowCount',
  'rows',
  'fields',
  'clearFields',
  'format',
  'field',
  'customerId',
  'count',
  'reason',
  'mfa',
  'geo',
  'exportId',
  'bytes',
];

/** A one-line digest of an evidence event's data: the facts a reviewer looks for, not the whole payload. */
export function evidenceDigest(event: Pick<EvidenceEvent, 'data'>): string {
  const data =
    typeof event.data === 'object' && event.data !== null ? (event.data as Record<string, unknown>) : {};
  const parts: string[] = [];
  for (const key of SHOWN_KEYS) {
    const value = data[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) parts.push(`${thresholdLabel(key)}: ${value.slice(0, 10).join(', ') || '—'}`);
    else if (typeof value === 'object') {
      const geo = value as { city?: unknown; country?: unknown };
      const place = [geo.city, geo.country].filter((v) => typeof v === 'string' && v).join(', ');
      if (place) parts.push(`${thresholdLabel(key)}: ${place}`);
    } else parts.push(`${thresholdLabel(key)}: ${String(value)}`);
  }
  return parts.join(' · ') || '—';
}

/** The network facts of an event's actor (ip, device) as shown in tables. */
export function actorDigest(actor: unknown): { userId: string; ip: string; deviceId: string } {
  const a = typeof actor === 'object' && actor !== null ? (actor as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' && value ? value : '—');
  return { userId: text(a.userId), ip: text(a.ip), deviceId: text(a.deviceId) };
}

/** A rule's settings as the form edits them (numbers as typed). */
export type RuleDraft = {
  enabled: boolean;
  severity: string;
  windowSeconds: string;
  thresholds: Record<string, string>;
};

export const ruleDraftOf = (rule: RuleView): RuleDraft => ({
  enabled: rule.enabled,
  severity: rule.severity,
  windowSeconds: String(rule.windowSeconds),
  thresholds: Object.fromEntries(Object.entries(rule.thresholds).map(([k, v]) => [k, String(v)])),
});

const MIN_WINDOW = 10;
const MAX_WINDOW = 86_400;

/**
 * The `PUT /v1/rules/:id` body for what the form changed (only the changed settings; thresholds
 * only the changed ones, which the service merges), or the problems of each field as the service
 * would name them: window 10–86,400 s, thresholds numbers ≥ 0.
 */
export function rulePatch(
  rule: RuleView,
  draft: RuleDraft,
): { ok: true; patch: Partial<RuleView>; changed: boolean } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const patch: Partial<RuleView> = {};
  if (draft.enabled !== rule.enabled) patch.enabled = draft.enabled;
  if (draft.severity !== rule.severity) {
    if (!(draft.severity in SEVERITY_COLORS)) errors.severity = 'Choose low, medium, high or critical';
    else patch.severity = draft.severity as Severity;
  }
  const window = Number(draft.windowSeconds.trim());
  if (!/^\d+$/.test(draft.windowSeconds.trim()) || window < MIN_WINDOW || window > MAX_WINDOW) {
    errors.windowSeconds = `A whole number of seconds from ${MIN_WINDOW} to ${MAX_WINDOW.toLocaleString('en')}`;
  } else if (window !== rule.windowSeconds) patch.windowSeconds = window;
  const thresholds: Record<string, number> = {};
  for (const [name, typed] of Object.entries(draft.thresholds)) {
    const text = typed.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value < 0 || value > 1e9) {
      errors[`thresholds.${name}`] = 'A number from 0 to 1,000,000,000';
      continue;
    }
    if (!(name in rule.thresholds)) {
      errors[`thresholds.${name}`] = `The rule has no threshold named ${name}`;
      continue;
    }
    if (value !== rule.thresholds[name]) thresholds[name] = value;
  }
  if (Object.keys(thresholds).length) patch.thresholds = thresholds;
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, patch, changed: Object.keys(patch).length > 0 };
}
