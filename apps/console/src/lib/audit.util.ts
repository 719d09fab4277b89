import { z } from 'zod';
import {
  AUDIT_SERVICES,
  type AuditFilters,
  type AuditReport,
  type TrailItem,
  type VerificationResult,
} from '../api/audit.api';

/** The audit search form: every field a string, empty meaning "any". Times are `datetime-local` values. */
export type AuditSearchForm = {
  actor: string;
  customer: string;
  type: string;
  service: string;
  from: string;
  to: string;
  ip: string;
  correlationId: string;
};
export const EMPTY_AUDIT_SEARCH: AuditSearchForm = {
  actor: '',
  customer: '',
  type: '',
  service: '',
  from: '',
  to: '',
  ip: '',
  correlationId: '',
};

const optional = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `At most ${max} characters`)
    .transform((v) => (v === '' ? undefined : v));

/** A local date-time of the form (`2030-06-01T14:05`) as ISO 8601 UTC; undefined when empty. */
const localTime = z
  .string()
  .trim()
  .refine((v) => v === '' || !Number.isNaN(new Date(v).getTime()), 'Enter a valid date and time')
  .transform((v) => (v === '' ? undefined : new Date(v).toISOString()));

/** The form → the audit service's filters (its rules: PascalCase types, known services, from < to). */
export const auditSearchSchema = z
  .object({
    actor: optional(200),
    customer: optional(200),
    type: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      )
      .refine((types) => types.length <= 20, 'At most 20 event types')
      .refine(
        (types) => types.every((t) => /^[A-Z][A-Za-z0-9]+$/.test(t)),
        'Event types are PascalCase names separated by commas (e.g. ExportRequested, ExportApproved)',
      )
      .transform((types) => (types.length ? types.join(',') : undefined)),
    service: z
      .enum(['', ...AUDIT_SERVICES], { message: 'Choose a service' })
      .transform((v) => (v === '' ? undefined : v)),
    from: localTime,
    to: localTime,
    ip: optional(100),
    correlationId: optional(200),
  })
  .superRefine((form, ctx) => {
    if (form.from && form.to && form.from >= form.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'The end must be after the start' });
    }
  })
  .transform((form): AuditFilters => {
    const out: AuditFilters = {};
    for (const [key, value] of Object.entries(form)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
    return out;
  });

/** The service an event came from, by its topic (`<prefix>warden.exports.events.v1` → `exports`). */
export function sourceOfTopic(topic: string): string {
  const events = /warden\.([a-z-]+)\.events\.v\d+$/.exec(topic);
  if (events) return events[1];
  if (/warden\.access\.v\d+$/.test(topic)) return 'customer-records (reads)';
  if (/warden\.alerts\.v\d+$/.test(topic)) return 'alerts';
  return topic;
}

/** The customers an event names (`customerId`, or `customerIds` of lists and searches). */
export function customersOf(item: TrailItem): string[] {
  const data = item.event.data ?? {};
  const ids = new Set<string>();
  if (typeof data.customerId === 'string') ids.add(data.customerId);
  if (Array.isArray(data.customerIds)) {
    for (const id of data.customerIds) if (typeof id === 'string') ids.add(id);
  }
  return [...ids];
}

/**
 * A one-line digest of an event's data: its short scalar values (`exportId: …, estimatedRows: 12`),
 * at most `max` characters. Values are shown as stored: ciphertext and masks stay as they are.
 */
export function summarizeData(data: Record<string, unknown> | null | undefined, max = 140): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value === null || value === undefined) continue;
    let text: string;
    if (typeof value === 'string') text = value.length > 40 ? `${value.slice(0, 37)}…` : value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))
      text = value.length > 4 ? `${value.slice(0, 4).join(', ')} +${value.length - 4}` : value.join(', ');
    else continue;
    parts.push(`${key}: ${text}`);
  }
  const line = parts.join(' · ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A valid report period: a month (`2030-06`) or a quarter (`2030-Q2`). */
export const reportPeriodSchema = z
  .string()
  .trim()
  .regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, 'Choose a month (2030-06) or a quarter (2030-Q2)');

/** The months (newest first) and quarters of the last year, the current ones included, as choices. */
export function reportPeriods(
  now: Date,
  months = 12,
): Array<{ value: string; label: string; group: string }> {
  const monthNames = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  const out: Array<{ value: string; label: string; group: string }> = [];
  const quarters = new Set<string>();
  for (let i = 0; i < months; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    out.push({
      value: `${year}-${String(month + 1).padStart(2, '0')}`,
      label: `${monthNames[month]} ${year}`,
      group: 'Months',
    });
    quarters.add(`${year}-Q${Math.floor(month / 3) + 1}`);
  }
  for (const q of quarters) out.push({ value: q, label: q.replace('-', ' '), group: 'Quarters' });
  return out;
}

/** The headline figures of a report, for the summary cards. */
export function reportFigures(report: AuditReport): Array<{ label: string; value: number; detail: string }> {
  return [
    {
      label: 'Logins',
      value: report.logins.succeeded,
      detail: `${report.logins.failed} failed · ${report.logins.distinctUsers} people`,
    },
    { label: 'Unusual logins', value: report.unusualLogins.total, detail: 'raised by the login rules' },
    {
      label: 'Exports',
      value: report.exports.completed,
      detail: `${report.exports.rows} rows · ${report.exports.approvalRequired} needed approval · ${report.exports.downloads} downloads`,
    },
    {
      label: 'Clear-field reveals',
      value: report.reveals.total,
      detail:
        Object.entries(report.reveals.byField)
          .map(([field, n]) => `${field} ${n}`)
          .join(' · ') || 'none',
    },
    {
      label: 'Grants issued',
      value: report.grants.issued,
      detail: `${report.grants.requested} requested · ${report.grants.revoked} revoked · ${report.grants.expired} expired`,
    },
    {
      label: 'Alerts',
      value: report.alerts.raised,
      detail:
        Object.entries(report.alerts.bySeverity)
          .map(([severity, n]) => `${severity} ${n}`)
          .join(' · ') || 'none',
    },
    {
      label: 'Offboardings',
      value: report.offboardings.completed,
      detail: `${report.offboardings.requested} requested`,
    },
    {
      label: 'Customer views',
      value: report.views.customerViews,
      detail: `${report.views.listings} lists and searches`,
    },
  ];
}

/** What a verification says, in a title and a sentence. */
export function verificationVerdict(result: VerificationResult): {
  ok: boolean;
  title: string;
  detail: string;
} {
  const checkpoint = result.lastCheckpoint
    ? `; latest checkpoint at tree size ${result.lastCheckpoint.treeSize} ${
        result.lastCheckpoint.signatureValid && result.lastCheckpoint.rootMatches
          ? 'is signed and matches'
          : 'does NOT match'
      }`
    : '; no signed checkpoint yet';
  const expired = result.expired ? ` (${result.expired} expired by retention)` : '';
  if (result.ok) {
    return {
      ok: true,
      title: 'The trail is intact',
      detail: `${result.eventsChecked} events and ${result.checkpointsChecked} checkpoints checked${expired}${checkpoint}.`,
    };
  }
  return {
    ok: false,
    title: `${result.problemCount} problem${result.problemCount === 1 ? '' : 's'} found`,
    detail: `${result.eventsChecked} events checked${expired}${checkpoint}. Each problem below names its position and event.`,
  };
}
