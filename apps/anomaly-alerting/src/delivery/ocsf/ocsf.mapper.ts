import type { EventEnvelope, Severity } from '@warden/contracts';

/**
 * OCSF 1.8.0 records for SIEMs: a Detection Finding (class 2004) per alert event and an
 * Authentication (class 3002) per login. Fields without a value are left out (OCSF forbids null).
 * No secret or sensitive value is mapped: users by id, the user name hash of a failed login only.
 */

export type OcsfRecord = Record<string, unknown>;

export const OCSF_VERSION = '1.8.0';
const product = { name: 'Warden', vendor_name: 'Warden', uid: 'anomaly-alerting' };

const SEVERITY_ID: Record<Severity, number> = { low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_NAME: Record<Severity, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

/** Drops undefined and null members (recursively through plain objects). */
function compact<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? compact(v as Record<string, unknown>) : v;
  }
  return out as T;
}

/** What the alert looked like after the event (the read model row), to describe the finding whole. */
export type AlertSnapshot = {
  id: string;
  rule: string;
  severity: Severity;
  score: number;
  userId: string | null;
  summary: string;
  evidence: string[];
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  status: string;
};

const ACTIVITY: Record<string, { id: number; name: string }> = {
  AlertRaised: { id: 1, name: 'Create' },
  AlertUpdated: { id: 2, name: 'Update' },
  AlertAcknowledged: { id: 2, name: 'Update' },
  AlertResolved: { id: 3, name: 'Close' },
};
const STATUS: Record<string, { id: number; name: string }> = {
  open: { id: 1, name: 'New' },
  acknowledged: { id: 2, name: 'In Progress' },
  resolved: { id: 4, name: 'Resolved' },
  false_positive: { id: 4, name: 'Resolved' },
};

/** Detection Finding (2004) for an alert event (AlertRaised, AlertUpdated, AlertAcknowledged, AlertResolved). */
export function detectionFinding(event: EventEnvelope, alert: AlertSnapshot): OcsfRecord | null {
  const activity = ACTIVITY[event.type];
  if (!activity) return null;
  const status = STATUS[alert.status] ?? { id: 1, name: 'New' };
  return compact({
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    type_uid: 2004 * 100 + activity.id,
    type_name: `Detection Finding: ${activity.name}`,
    severity_id: SEVERITY_ID[alert.severity],
    severity: SEVERITY_NAME[alert.severity],
    time: Date.parse(event.occurredAt),
    message: alert.summary,
    is_alert: true,
    risk_score: Math.round(alert.score),
    count: alert.count,
    status_id: status.id,
    status: status.name,
    status_detail: alert.status === 'false_positive' ? 'false positive' : undefined,
    metadata: { version: OCSF_VERSION, product, uid: event.eventId, correlation_uid: event.correlationId },
    finding_info: {
      uid: alert.id,
      title: alert.rule,
      desc: alert.summary,
      types: [alert.rule],
      first_seen_time: Date.parse(alert.firstSeenAt),
      last_seen_time: Date.parse(alert.lastSeenAt),
      analytic: { uid: alert.rule, name: alert.rule, type_id: 1, type: 'Rule' },
      related_events: alert.evidence.slice(0, 20).map((uid) => ({ uid })),
    },
    evidences: alert.userId ? [{ user: { uid: alert.userId } }] : undefined,
  });
}

/** Authentication (3002) for LoginSucceeded / LoginFailed; null for other events. */
export function authentication(event: EventEnvelope): OcsfRecord | null {
  if (event.type !== 'LoginSucceeded' && event.type !== 'LoginFailed') return null;
  const success = event.type === 'LoginSucceeded';
  const d = event.data;
  const userId = typeof d['userId'] === 'string' ? d['userId'] : null;
  const geo = (d['geo'] ?? null) as { country?: string | null; city?: string | null } | null;
  const location = geo && (geo.country || geo.city) ? { country: geo.country ?? undefined, city: geo.city ?? undefined } : undefined;
  return compact({
    activity_id: 1,
    activity_name: 'Logon',
    category_uid: 3,
    category_name: 'Identity & Access Management',
    class_uid: 3002,
    class_name: 'Authentication',
    type_uid: 300201,
    type_name: 'Authentication: Logon',
    severity_id: 1,
    severity: 'Informational',
    time: Date.parse(event.occurredAt),
    status_id: success ? 1 : 2,
    status: success ? 'Success' : 'Failure',
    status_detail: success ? undefined : String(d['reason'] ?? ''),
    is_mfa: success ? d['mfa'] === true : undefined,
    metadata: { version: OCSF_VERSION, product, uid: event.eventId, correlation_uid: event.correlationId },
    service: { name: 'Warden', uid: 'authorization' },
    user: userId ? { uid: userId } : { uid_alt: String(d['usernameHash']), name: 'unknown' },
    session: success && typeof d['sessionId'] === 'string' ? { uid: d['sessionId'], is_mfa: d['mfa'] === true } : undefined,
    src_endpoint: event.actor.ip ? { ip: event.actor.ip, location } : undefined,
  });
}

/** The Authentication records of the logins among `events`, as Kafka messages keyed by the login's stream. */
export const authenticationMessages = (events: ReadonlyArray<EventEnvelope>): Array<{ key: string; value: string; headers: Record<string, string> }> =>
  events.flatMap((event) => {
    const record = authentication(event);
    return record ? [{ key: event.streamId, value: JSON.stringify(record), headers: { 'ocsf-version': OCSF_VERSION } }] : [];
  });
