import { customerFilterSchema, exportFormatSchema, type CustomerFilter } from '@warden/contracts';
import { z } from 'zod';

/** The customer fields an export may hold (besides `id`, always first). */
export const EXPORTABLE_FIELDS = [
  'name',
  'company',
  'tags',
  'classification',
  'ownerId',
  'teamId',
  'mobile',
  'email',
  'nationalId',
  'address',
  'status',
  'version',
  'createdAt',
  'updatedAt',
] as const;
export type ExportableField = (typeof EXPORTABLE_FIELDS)[number];
const field = z.enum(EXPORTABLE_FIELDS);

/** The filter: the same fields as `GET /v1/customers` (`{}`: everything in the requester's view). */
export const exportFilterSchema = customerFilterSchema;
export type ExportFilter = CustomerFilter;

export const requestExportBody = z
  .strictObject({
    filter: exportFilterSchema.default({}),
    fields: z.array(field).min(1, 'name at least one field').max(EXPORTABLE_FIELDS.length),
    format: exportFormatSchema,
    reason: z.string().trim().min(5, 'must say why (at least 5 characters)').max(500),
    clearFields: z.array(z.enum(['mobile', 'email', 'nationalId', 'address'])).max(4).default([]),
  })
  .superRefine((body, ctx) => {
    if (new Set(body.fields).size !== body.fields.length) ctx.addIssue({ code: 'custom', path: ['fields'], message: 'must not repeat a field' });
    for (const clear of body.clearFields) {
      if (!body.fields.includes(clear)) ctx.addIssue({ code: 'custom', path: ['clearFields'], message: `${clear} is not among fields` });
    }
  });
export type RequestExportBody = z.infer<typeof requestExportBody>;

export const decisionBody = z.strictObject({
  comment: z.string().trim().max(1000).nullable().default(null),
  /** For clear sensitive fields: the proof of a fresh TOTP step-up from the authorization service. */
  stepUpToken: z.string().min(10).max(4000).optional(),
});
export type DecisionBody = z.infer<typeof decisionBody>;

export const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).nullable().default(null) });
export type CancelBody = z.infer<typeof cancelBody>;

export const exportIdParam = z.uuid({ message: 'must be an export id (UUID)' });

export const listExportsQuery = z.strictObject({
  /** `mine` (default): the caller's exports; `approvals`: exports awaiting the caller's decision. */
  scope: z.enum(['mine', 'approvals']).default('mine'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListExportsQuery = z.infer<typeof listExportsQuery>;

export const downloadQuery = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{32,100}$/, 'is not a download token') });

export const traceBody = z.strictObject({
  /** A leaked file's content as text (CSV or JSON lines)… */
  content: z.string().min(1).max(5_000_000).optional(),
  /** …or rows copied from it. */
  rows: z.array(z.record(z.string(), z.unknown())).min(1).max(20_000).optional(),
}).refine((body) => (body.content === undefined) !== (body.rows === undefined), { message: 'give either content or rows', path: [] });
export type TraceBody = z.infer<typeof traceBody>;

export const teamPolicyBody = z.strictObject({
  rowThreshold: z.number().int().min(0).optional(),
  dailyRowQuota: z.number().int().min(0).optional(),
  clearSensitiveNeedsApproval: z.boolean().optional(),
  departingNeedsApproval: z.boolean().optional(),
  openAlertNeedsApproval: z.boolean().optional(),
});
export type TeamPolicyBody = z.infer<typeof teamPolicyBody>;

/** An export as the API shows it. */
export type ExportView = {
  id: string;
  status: string;
  requesterId: string;
  teamId: string | null;
  format: string;
  fields: string[];
  clearFields: string[];
  filter: Record<string, unknown>;
  reason: string;
  estimatedRows: number;
  approvalRequired: boolean;
  approvalReasons: string[];
  approvalExpiresAt: string | null;
  approverId: string | null;
  decisionComment: string | null;
  progress: { rowsDone: number; rowsTotal: number };
  rowCount: number | null;
  bytes: number | null;
  createdAt: string;
  decidedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  downloadedAt: string | null;
  cancelledAt: string | null;
  /**
   * Who asked, as the directory knows them from authorization's events (`GET /v1/exports` and
   * `GET /v1/exports/:id`; null until the directory has seen the user's name).
   */
  requesterName?: string | null;
  requesterUsername?: string | null;
};
