import type { LeaverReportSummary } from '@warden/contracts';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';

/**
 * The leaver report, built from the audit service's per-user activity
 * (`GET /v1/audit/users/:id/activity?days=90`, apps/audit `ActivityService.userActivity`):
 * `{userId, from, to, summary: {logins, customersViewed, listings, reveals, exports, downloads,
 * alerts}, timeline, eventCount, truncated}`. The report keeps the summary (the timeline holds
 * whole envelopes, ciphertext included, and is not needed). Every section the report shows must be
 * there: an answer without them is refused (never read as "no activity"); fields the report does
 * not use are dropped.
 */
const str = z.string().max(1000);
const opt = str.nullable().optional().transform((v) => v ?? null);
const int = z.number().int().min(0);
const strings = z.array(str).default([]);
const items = <T extends z.ZodType>(item: T) => z.array(item).max(100_000);
/** The audit passes the login's `geo` through as recorded; only country and city are shown. */
const geo = z
  .unknown()
  .transform((g) => {
    const o = typeof g === 'object' && g !== null ? (g as Record<string, unknown>) : {};
    const pick = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : null);
    const place = { country: pick(o.country), city: pick(o.city) };
    return place.country || place.city ? place : null;
  });

const summarySchema = z.object({
  logins: z.object({
    count: int,
    failures: int,
    distinctIps: strings,
    distinctDevices: strings,
    countries: strings,
    items: items(z.object({ at: str, ip: opt, deviceId: opt, userAgent: opt, geo, mfa: z.boolean().default(false) })),
  }),
  customersViewed: z.object({
    views: int,
    distinctCustomers: int,
    top: items(z.object({ customerId: str, views: int })),
  }),
  listings: z.object({ searches: int, lists: int, customersReturned: int }).default({ searches: 0, lists: 0, customersReturned: 0 }),
  reveals: z.object({ count: int, items: items(z.object({ at: str, customerId: opt, field: opt, reason: opt })) }),
  exports: z.object({
    count: int,
    rows: int,
    items: items(
      z.object({
        exportId: str,
        requestedAt: opt,
        completedAt: opt,
        rows: int.nullable().optional().transform((v) => v ?? null),
        fields: strings,
        clearFields: strings,
        format: opt,
        approvalRequired: z.boolean().default(false),
      }),
    ),
  }),
  downloads: z.object({ count: int, items: items(z.object({ at: str, exportId: opt, ip: opt, bytes: int.default(0) })) }),
  alerts: z.object({
    count: int,
    byRule: z.record(str, int).default({}),
    items: items(z.object({ at: str, alertId: opt, rule: opt, severity: opt, summary: opt })),
  }),
});
const answerSchema = z.object({
  userId: str,
  from: str,
  to: str,
  summary: summarySchema,
  eventCount: int.default(0),
  truncated: z.boolean().default(false),
});
export type LeaverActivity = z.infer<typeof summarySchema>;

export type LeaverReport = {
  reportId: string;
  caseId: string;
  userId: string;
  periodDays: number;
  generatedAt: string;
  /** The period the audit read, as it answered. */
  period: { from: string; to: string };
  /** Events the audit read for the user, and whether it stopped at its limit. */
  eventCount: number;
  truncated: boolean;
  summary: LeaverReportSummary;
  activity: LeaverActivity;
};

/** Pure: the activity in the audit answer, or an error naming the places where it is wrong. */
export function parseActivity(raw: unknown, userId?: string): z.infer<typeof answerSchema> {
  const parsed = answerSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => i.path.join('.') || '(root)');
    throw new Error(`the audit activity is not in the expected shape (${where.join(', ')})`);
  }
  if (userId !== undefined && parsed.data.userId !== userId) {
    throw new Error('the audit activity is about another user');
  }
  return parsed.data;
}

/** Pure: the counts of the report (customers viewed: distinct customers). */
export function summarise(activity: LeaverActivity): LeaverReportSummary {
  return {
    logins: activity.logins.count,
    customersViewed: activity.customersViewed.distinctCustomers,
    reveals: activity.reveals.count,
    exports: activity.exports.count,
    downloads: activity.downloads.count,
    alerts: activity.alerts.count,
  };
}

export function buildReport(
  meta: { reportId: string; caseId: string; userId: string; periodDays: number; generatedAt: string },
  raw: unknown,
): LeaverReport {
  const answer = parseActivity(raw, meta.userId);
  return {
    ...meta,
    period: { from: answer.from, to: answer.to },
    eventCount: answer.eventCount,
    truncated: answer.truncated,
    summary: summarise(answer.summary),
    activity: answer.summary,
  };
}

const place = (g: { country: string | null; city: string | null } | null): string =>
  g ? [g.city, g.country].filter(Boolean).join(', ') : '';

const CSV_COLUMNS = [
  'section', 'at', 'ip', 'device', 'location', 'mfa', 'customerId', 'views', 'field', 'reason',
  'exportId', 'rows', 'fields', 'clearFields', 'format', 'approvalRequired', 'bytes', 'alertId', 'rule', 'severity', 'summary',
];

/** One row per item, the section first: easy to filter in a spreadsheet. */
export function reportToCsv(report: LeaverReport): string {
  const a = report.activity;
  const rows: Array<Record<string, string | number | boolean>> = [
    ...a.logins.items.map((l) => ({ section: 'login', at: l.at, ip: l.ip ?? '', device: l.deviceId ?? l.userAgent ?? '', location: place(l.geo), mfa: l.mfa })),
    ...a.customersViewed.top.map((c) => ({ section: 'customer_viewed', customerId: c.customerId, views: c.views })),
    ...a.reveals.items.map((r) => ({ section: 'reveal', at: r.at, customerId: r.customerId ?? '', field: r.field ?? '', reason: r.reason ?? '' })),
    ...a.exports.items.map((e) => ({
      section: 'export',
      at: e.requestedAt ?? e.completedAt ?? '',
      exportId: e.exportId,
      rows: e.rows ?? '',
      fields: e.fields.join(' '),
      clearFields: e.clearFields.join(' '),
      format: e.format ?? '',
      approvalRequired: e.approvalRequired,
    })),
    ...a.downloads.items.map((d) => ({ section: 'download', at: d.at, exportId: d.exportId ?? '', ip: d.ip ?? '', bytes: d.bytes })),
    ...a.alerts.items.map((x) => ({ section: 'alert', at: x.at, alertId: x.alertId ?? '', rule: x.rule ?? '', severity: x.severity ?? '', summary: x.summary ?? '' })),
  ];
  // Cells starting with = + - @ are prefixed so that spreadsheets do not run them as formulas.
  const safe = (value: string | number | boolean | undefined): string | number => {
    if (typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') return value ?? '';
    return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  };
  return stringify(rows.map((r) => CSV_COLUMNS.map((c) => safe(r[c]))), { header: true, columns: CSV_COLUMNS });
}

const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function table(title: string, headers: string[], rows: unknown[][]): string {
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')
    : `<tr><td colspan="${headers.length}">none</td></tr>`;
  return `<h2>${escapeHtml(title)}</h2>\n<table>\n<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A self-contained page (no script, no external resource); every value is escaped. */
export function reportToHtml(report: LeaverReport): string {
  const a = report.activity;
  const s = report.summary;
  const list = (values: string[]) => values.join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Leaver report ${escapeHtml(report.userId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:1.5rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f3f3f3}</style>
</head><body>
<h1>Leaver report</h1>
<p>User <strong>${escapeHtml(report.userId)}</strong>, case ${escapeHtml(report.caseId)}: activity of the last ${report.periodDays} days (${escapeHtml(report.period.from)} to ${escapeHtml(report.period.to)}), ${report.eventCount} events${report.truncated ? ' (the audit stopped at its limit: older events are missing)' : ''}, generated ${escapeHtml(report.generatedAt)}.</p>
${table('Summary', ['logins', 'failed logins', 'customers viewed', 'views', 'searches and lists', 'sensitive fields revealed', 'exports', 'rows exported', 'downloads', 'alerts'], [[s.logins, a.logins.failures, s.customersViewed, a.customersViewed.views, a.listings.searches + a.listings.lists, s.reveals, s.exports, a.exports.rows, s.downloads, s.alerts]])}
${table('Where from', ['IP addresses', 'devices', 'countries'], [[list(a.logins.distinctIps), list(a.logins.distinctDevices), list(a.logins.countries)]])}
${table('Logins', ['at', 'IP', 'device', 'location', 'MFA'], a.logins.items.map((l) => [l.at, l.ip, l.deviceId ?? l.userAgent, place(l.geo), l.mfa ? 'yes' : 'no']))}
${table('Customers viewed most', ['customer', 'views'], a.customersViewed.top.map((c) => [c.customerId, c.views]))}
${table('Sensitive fields revealed', ['at', 'customer', 'field', 'reason'], a.reveals.items.map((r) => [r.at, r.customerId, r.field, r.reason]))}
${table('Exports', ['requested', 'completed', 'export', 'rows', 'fields', 'clear fields', 'format', 'approval'], a.exports.items.map((e) => [e.requestedAt, e.completedAt, e.exportId, e.rows, e.fields.join(', '), e.clearFields.join(', '), e.format, e.approvalRequired ? 'required' : '']))}
${table('Downloads', ['at', 'export', 'IP', 'bytes'], a.downloads.items.map((d) => [d.at, d.exportId, d.ip, d.bytes]))}
${table('Alerts', ['at', 'alert', 'rule', 'severity', 'summary'], a.alerts.items.map((x) => [x.at, x.alertId, x.rule, x.severity, x.summary]))}
</body></html>
`;
}
