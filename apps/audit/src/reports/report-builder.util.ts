import { ALERT_RULES, type EventEnvelope } from '@warden/contracts';
import type { VerificationResult } from '../verification/trail-verifier';
import type { ReportPeriod } from './report-period.util';

type Data = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Alert rules about logins: their alerts are the period's unusual logins. */
export const LOGIN_RULES: readonly string[] = [
  'new-device',
  'new-country',
  'new-network',
  'impossible-travel',
  'off-hours-login',
  'brute-force',
  'password-spray',
];

/** The event types a report reads (views and listings are counted in SQL, not loaded). */
export const REPORT_TYPES = [
  'LoginSucceeded',
  'LoginFailed',
  'ExportRequested',
  'ExportApprovalRequired',
  'ExportCompleted',
  'ExportDownloaded',
  'SensitiveFieldRevealed',
  'GrantRequested',
  'GrantApproved',
  'GrantExpired',
  'GrantRevoked',
  'AlertRaised',
  'AlertResolved',
  'OffboardingRequested',
  'OffboardingCompleted',
] as const;

export type DailyCounts = { day: string; logins: number; loginFailures: number; exports: number; reveals: number; alerts: number };

export type AuditReport = {
  period: string;
  from: string;
  to: string;
  generatedAt: string;
  logins: { succeeded: number; failed: number; failuresByReason: Record<string, number>; distinctUsers: number };
  unusualLogins: { total: number; byRule: Record<string, number> };
  exports: { requested: number; approvalRequired: number; completed: number; rows: number; withClearFields: number; downloads: number };
  reveals: { total: number; byField: Record<string, number> };
  grants: { requested: number; issued: number; expired: number; revoked: number };
  alerts: {
    raised: number;
    bySeverity: Record<string, number>;
    byRule: Array<{ rule: string; raised: number; resolved: number; falsePositive: number }>;
  };
  offboardings: {
    requested: number;
    completed: number;
    durationHours: { average: number | null; median: number | null; max: number | null };
    cases: Array<{ caseId: string; userId: string; requestedAt: string | null; completedAt: string | null; hours: number | null }>;
  };
  views: { customerViews: number; listings: number };
  chainVerification: { verifiedAt: string; ok: boolean; treeSize: number; eventsChecked: number; problemCount: number } | null;
  daily: DailyCounts[];
};

const inc = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by;
};
const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The report of a period from its events (the types of `REPORT_TYPES`, any order), the view
 * counts, and the latest verification. Pure: `generatedAt` comes in.
 */
export function buildReport(
  period: ReportPeriod,
  events: readonly EventEnvelope[],
  views: { customerViews: number; listings: number },
  verification: VerificationResult | null,
  generatedAt: Date,
): AuditReport {
  const r: AuditReport = {
    period: period.id,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    generatedAt: generatedAt.toISOString(),
    logins: { succeeded: 0, failed: 0, failuresByReason: {}, distinctUsers: 0 },
    unusualLogins: { total: 0, byRule: {} },
    exports: { requested: 0, approvalRequired: 0, completed: 0, rows: 0, withClearFields: 0, downloads: 0 },
    reveals: { total: 0, byField: {} },
    grants: { requested: 0, issued: 0, expired: 0, revoked: 0 },
    alerts: { raised: 0, bySeverity: {}, byRule: [] },
    offboardings: { requested: 0, completed: 0, durationHours: { average: null, median: null, max: null }, cases: [] },
    views,
    chainVerification: verification
      ? {
          verifiedAt: verification.verifiedAt,
          ok: verification.ok,
          treeSize: verification.treeSize,
          eventsChecked: verification.eventsChecked,
          problemCount: verification.problemCount,
        }
      : null,
    daily: [],
  };
  const days = new Map<string, DailyCounts>();
  for (let t = period.from.getTime(); t < period.to.getTime(); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.set(day, { day, logins: 0, loginFailures: 0, exports: 0, reveals: 0, alerts: 0 });
  }
  const dayOf = (e: EventEnvelope) => days.get(new Date(e.occurredAt).toISOString().slice(0, 10));
  const users = new Set<string>();
  const rules = new Map<string, { rule: string; raised: number; resolved: number; falsePositive: number }>();
  const ruleOf = (rule: string) => {
    let entry = rules.get(rule);
    if (!entry) {
      entry = { rule, raised: 0, resolved: 0, falsePositive: 0 };
      rules.set(rule, entry);
    }
    return entry;
  };
  const cases = new Map<string, AuditReport['offboardings']['cases'][number]>();
  const caseOf = (caseId: string, userId: string) => {
    let entry = cases.get(caseId);
    if (!entry) {
      entry = { caseId, userId, requestedAt: null, completedAt: null, hours: null };
      cases.set(caseId, entry);
    }
    return entry;
  };

  for (const e of events) {
    const d = e.data as Data;
    const day = dayOf(e);
    switch (e.type) {
      case 'LoginSucceeded':
        r.logins.succeeded += 1;
        if (str(d.userId)) users.add(str(d.userId) as string);
        if (day) day.logins += 1;
        break;
      case 'LoginFailed':
        r.logins.failed += 1;
        inc(r.logins.failuresByReason, str(d.reason) ?? 'unknown');
        if (day) day.loginFailures += 1;
        break;
      case 'ExportRequested':
        r.exports.requested += 1;
        if (day) day.exports += 1;
        break;
      case 'ExportApprovalRequired':
        r.exports.approvalRequired += 1;
        break;
      case 'ExportCompleted':
        r.exports.completed += 1;
        r.exports.rows += num(d.rowCount);
        if (Array.isArray(d.clearFields) && d.clearFields.length > 0) r.exports.withClearFields += 1;
        break;
      case 'ExportDownloaded':
        r.exports.downloads += 1;
        break;
      case 'SensitiveFieldRevealed':
        r.reveals.total += 1;
        inc(r.reveals.byField, str(d.field) ?? 'unknown');
        if (day) day.reveals += 1;
        break;
      case 'GrantRequested':
        r.grants.requested += 1;
        break;
      case 'GrantApproved':
        r.grants.issued += 1;
        break;
      case 'GrantExpired':
        r.grants.expired += 1;
        break;
      case 'GrantRevoked':
        r.grants.revoked += 1;
        break;
      case 'AlertRaised': {
        const rule = str(d.rule) ?? 'unknown';
        r.alerts.raised += 1;
        inc(r.alerts.bySeverity, str(d.severity) ?? 'unknown');
        ruleOf(rule).raised += 1;
        if (LOGIN_RULES.includes(rule)) {
          r.unusualLogins.total += 1;
          inc(r.unusualLogins.byRule, rule);
        }
        if (day) day.alerts += 1;
        break;
      }
      case 'AlertResolved': {
        const entry = ruleOf(str(d.rule) ?? 'unknown');
        if (d.resolution === 'false_positive') entry.falsePositive += 1;
        else entry.resolved += 1;
        break;
      }
      case 'OffboardingRequested': {
        r.offboardings.requested += 1;
        const c = caseOf(str(d.caseId) ?? e.streamId, str(d.userId) ?? '');
        c.requestedAt = e.occurredAt;
        break;
      }
      case 'OffboardingCompleted': {
        r.offboardings.completed += 1;
        const c = caseOf(str(d.caseId) ?? e.streamId, str(d.userId) ?? '');
        c.completedAt = e.occurredAt;
        break;
      }
      default:
        break;
    }
  }
  r.logins.distinctUsers = users.size;
  const order = new Map<string, number>(ALERT_RULES.map((rule, i) => [rule, i]));
  r.alerts.byRule = [...rules.values()].sort((a, b) => (order.get(a.rule) ?? 99) - (order.get(b.rule) ?? 99) || a.rule.localeCompare(b.rule));
  const durations: number[] = [];
  for (const c of cases.values()) {
    if (c.requestedAt && c.completedAt) {
      c.hours = round((Date.parse(c.completedAt) - Date.parse(c.requestedAt)) / 3_600_000);
      durations.push(c.hours);
    }
  }
  r.offboardings.cases = [...cases.values()].sort((a, b) => (a.requestedAt ?? a.completedAt ?? '').localeCompare(b.requestedAt ?? b.completedAt ?? ''));
  if (durations.length) {
    const sorted = [...durations].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    r.offboardings.durationHours = {
      average: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
      median: round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2),
      max: sorted[sorted.length - 1],
    };
  }
  r.daily = [...days.values()];
  return r;
}
