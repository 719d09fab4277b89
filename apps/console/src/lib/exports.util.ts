import { z } from 'zod';
import type { Decision, FieldLevel } from '../api/authorization.api';
import {
  EXPORT_FORMATS,
  EXPORTABLE_FIELDS,
  type ExportableField,
  type ExportFilter,
  type ExportRequest,
  type ExportStatus,
  type ExportView,
} from '../api/exports.api';

export const SENSITIVE_EXPORT_FIELDS = ['mobile', 'email', 'nationalId', 'address'] as const;
export type SensitiveExportField = (typeof SENSITIVE_EXPORT_FIELDS)[number];
const isSensitive = (field: string): field is SensitiveExportField =>
  (SENSITIVE_EXPORT_FIELDS as readonly string[]).includes(field);

export const EXPORT_FIELD_LABELS: Record<ExportableField, string> = {
  name: 'Name',
  company: 'Company',
  tags: 'Tags',
  classification: 'Classification',
  ownerId: 'Owner',
  teamId: 'Team',
  mobile: 'Mobile',
  email: 'E-mail',
  nationalId: 'National ID',
  address: 'Address',
  status: 'Status',
  version: 'Version',
  createdAt: 'Created',
  updatedAt: 'Updated',
};

/** One field the export form offers, at the level the caller reads it. */
export type FieldChoice = {
  field: ExportableField;
  label: string;
  sensitive: boolean;
  level: FieldLevel;
  /** The caller reads it at all (masked or clear). */
  exportable: boolean;
  /** The caller reads it in clear, so may ask for it in clear (sensitive fields only). */
  clearable: boolean;
};

/**
 * What the caller may put in an export, from their own decisions (`export` and `read` on
 * Customer, `POST /v1/decisions`). Sensitive fields come at the level the policy gives; the other
 * fields are offered (the exports service still refuses one the caller may not read, naming it).
 */
export function exportFieldChoices(decisions: { export: Decision; read: Decision }): {
  allowed: boolean;
  choices: FieldChoice[];
} {
  const allowed = decisions.export.allowed && decisions.read.allowed;
  const choices = EXPORTABLE_FIELDS.map((field): FieldChoice => {
    const sensitive = isSensitive(field);
    const level: FieldLevel = !allowed
      ? 'none'
      : sensitive
        ? (decisions.read.fieldLevels?.[field] ?? 'none')
        : 'clear';
    return {
      field,
      label: EXPORT_FIELD_LABELS[field],
      sensitive,
      level,
      exportable: level !== 'none',
      clearable: sensitive && level === 'clear',
    };
  });
  return { allowed, choices };
}

/** The filter part of the export form: every field a string, empty meaning "any". */
export type ExportFilterForm = Record<keyof ExportFilter, string>;
export const EMPTY_FILTER_FORM: ExportFilterForm = {
  q: '',
  tags: '',
  ownerId: '',
  teamId: '',
  classification: '',
  status: '',
  mobile: '',
  email: '',
  nationalId: '',
};

const optionalText = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what}: at most ${max} characters`)
    .transform((v) => (v === '' ? undefined : v));

/** The filter form → the filter the exports service takes (the customer search's fields). */
export const exportFilterSchema = z
  .object({
    q: optionalText(100, 'Name or company'),
    tags: z
      .string()
      .transform((value) => [
        ...new Set(
          value
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ])
      .refine((tags) => tags.length <= 20, 'At most 20 tags')
      .refine((tags) => tags.every((t) => t.length <= 50), 'Each tag has at most 50 characters')
      .transform((tags) => (tags.length ? tags : undefined)),
    ownerId: optionalText(200, 'Owner'),
    teamId: optionalText(200, 'Team'),
    classification: z
      .enum(['', 'public', 'internal', 'confidential', 'restricted'], { message: 'Choose a classification' })
      .transform((v) => (v === '' ? undefined : v)),
    status: z
      .enum(['', 'active', 'archived'], { message: 'Choose active or archived' })
      .transform((v) => (v === '' ? undefined : v)),
    mobile: optionalText(64, 'Mobile'),
    email: optionalText(254, 'E-mail'),
    nationalId: optionalText(64, 'National ID'),
  })
  .transform((filter): ExportFilter => {
    const out: ExportFilter = {};
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
    return out;
  });

/** The whole export request form, checked before it is sent. */
export const exportRequestSchema = z
  .object({
    filter: exportFilterSchema,
    fields: z.array(z.enum(EXPORTABLE_FIELDS)).min(1, 'Choose at least one field'),
    clearFields: z.array(z.enum(SENSITIVE_EXPORT_FIELDS)),
    format: z.enum(EXPORT_FORMATS, { message: 'Choose a format' }),
    reason: z
      .string()
      .trim()
      .min(5, 'Say why you need this export (at least 5 characters): the approver and the audit trail see it')
      .max(500, 'At most 500 characters'),
  })
  .superRefine((form, ctx) => {
    for (const field of form.clearFields) {
      if (!form.fields.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clearFields'],
          message: `${EXPORT_FIELD_LABELS[field]} in clear needs the field itself among the fields`,
        });
      }
    }
  })
  .transform((form): ExportRequest => form);

/** Fields in the service's order (the order of the file's columns). */
export const orderFields = <F extends string>(fields: readonly F[]): F[] =>
  (EXPORTABLE_FIELDS as readonly string[]).filter((f) => fields.includes(f as F)) as F[];

const KNOWN_STATUSES: readonly ExportStatus[] = [
  'pending_approval',
  'queued',
  'running',
  'completed',
  'downloaded',
  'rejected',
  'cancelled',
  'expired',
  'failed',
];

/** A status in words, with its colour. */
export function exportStatusDisplay(status: string): { label: string; color: string } {
  if (!(KNOWN_STATUSES as readonly string[]).includes(status)) return { label: status, color: 'gray' };
  const known = status as ExportStatus;
  switch (known) {
    case 'pending_approval':
      return { label: 'awaiting approval', color: 'yellow' };
    case 'queued':
      return { label: 'queued', color: 'blue' };
    case 'running':
      return { label: 'being generated', color: 'blue' };
    case 'completed':
      return { label: 'ready to download', color: 'green' };
    case 'downloaded':
      return { label: 'downloaded', color: 'teal' };
    case 'rejected':
      return { label: 'rejected', color: 'red' };
    case 'cancelled':
      return { label: 'cancelled', color: 'gray' };
    case 'expired':
      return { label: 'expired', color: 'gray' };
    case 'failed':
      return { label: 'failed', color: 'red' };
    default: {
      const never: never = known;
      return { label: String(never), color: 'gray' };
    }
  }
}

/** Why an export waits for a person, in words. */
export function approvalReasonText(reason: string): string {
  switch (reason) {
    case 'row_threshold':
      return 'more rows than the approval threshold';
    case 'clear_sensitive_fields':
      return 'sensitive fields in clear';
    case 'daily_quota':
      return "over the requester's daily row quota";
    case 'departing_requester':
      return 'the requester is leaving the company';
    case 'open_alert':
      return 'the requester has an open security alert';
    default:
      return reason.replace(/_/g, ' ');
  }
}

/** How often to ask again for a list of exports: soon while one is being made, slower while one waits. */
export function exportsPollInterval(exports: readonly Pick<ExportView, 'status'>[]): number | false {
  if (exports.some((e) => e.status === 'queued' || e.status === 'running')) return 1500;
  if (exports.some((e) => e.status === 'pending_approval')) return 5000;
  return false;
}

/** Progress of a generation in percent (0–100). */
export function exportProgress(view: Pick<ExportView, 'status' | 'progress'>): number {
  if (view.status === 'completed' || view.status === 'downloaded') return 100;
  const { rowsDone, rowsTotal } = view.progress;
  if (rowsTotal <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((rowsDone / rowsTotal) * 100)));
}

/** Clear sensitive fields need a fresh TOTP step-up of the approver. */
export const needsStepUp = (view: Pick<ExportView, 'clearFields'>): boolean => view.clearFields.length > 0;

/** A step-up proof kept for its lifetime (less a margin), so several approvals need one code. */
export type StepUpProof = { token: string; expiresAtMs: number };
export const stepUpProof = (token: string, expiresIn: number, nowMs: number): StepUpProof => ({
  token,
  expiresAtMs: nowMs + expiresIn * 1000,
});
export const usableStepUp = (proof: StepUpProof | null, nowMs: number, marginMs = 20_000): string | null =>
  proof && proof.expiresAtMs - marginMs > nowMs ? proof.token : null;

/** The filter of an export in words (sensitive values arrive masked from the service). */
export function describeFilter(filter: Record<string, unknown>): string {
  const parts: string[] = [];
  const labels: Record<string, string> = {
    q: 'name or company contains',
    tags: 'tags',
    ownerId: 'owner',
    teamId: 'team',
    classification: 'classification',
    status: 'status',
    mobile: 'mobile',
    email: 'e-mail',
    nationalId: 'national ID',
  };
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null || value === '') continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    parts.push(`${labels[key] ?? key}: ${text}`);
  }
  return parts.length ? parts.join('; ') : 'every customer in the requester’s view';
}

/** `1.2 MB`, `850 B`, `—`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const dayKey = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/**
 * Rows exported per local day over the last `days` days, oldest first: the rows of every export
 * that completed that day (downloaded or not). Exports that never completed add nothing.
 */
export function exportedRowsPerDay(
  exports: readonly Pick<ExportView, 'completedAt' | 'rowCount'>[],
  now: Date,
  days = 14,
): Array<{ day: string; rows: number }> {
  const out: Array<{ day: string; rows: number }> = [];
  for (let i = days - 1; i >= 0; i--) {
    out.push({ day: dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() - i)), rows: 0 });
  }
  const index = new Map(out.map((row, i) => [row.day, i]));
  for (const e of exports) {
    if (!e.completedAt || !e.rowCount) continue;
    const date = new Date(e.completedAt);
    if (Number.isNaN(date.getTime())) continue;
    const i = index.get(dayKey(date));
    if (i !== undefined) out[i].rows += e.rowCount;
  }
  return out;
}
