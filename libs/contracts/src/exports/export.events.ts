import { z } from 'zod';
import type { EventSpec } from '../lib/registry';
import { customerFieldNameSchema } from '../customer-records/access.events';

/**
 * Events of the exports service (one stream per export, `export-<exportId>`). They name fields,
 * counts and people; never a row of the file, a download token or a filter value of a sensitive
 * field (those travel masked).
 */

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export const exportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

/** Why an export needs a person's approval before it runs. */
export const APPROVAL_REASONS = [
  'row_threshold',
  'clear_sensitive_fields',
  'daily_quota',
  'departing_requester',
  'open_alert',
] as const;
export const approvalReasonSchema = z.enum(APPROVAL_REASONS);
export type ApprovalReason = z.infer<typeof approvalReasonSchema>;

const id = z.string().min(1).max(200);
const geo = z
  .strictObject({
    country: z.string().max(10).nullable(),
    city: z.string().max(200).nullable(),
    asn: z.number().int().nullable(),
  })
  .nullable();
const fields = z.array(customerFieldNameSchema).max(50);

export const exportRequestedV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  teamId: id.nullable(),
  /** The filter as requested, with the values of sensitive filters (mobile, email, nationalId) masked. */
  filter: z.record(z.string(), z.unknown()),
  fields,
  clearFields: fields,
  format: exportFormatSchema,
  reason: z.string().min(1).max(500),
  estimatedRows: z.number().int().min(0),
  /** Where the request came from (GeoIP of the actor's ip), for download checks. */
  geo,
});
export type ExportRequestedData = z.infer<typeof exportRequestedV1>;

export const exportApprovalRequiredV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  reasons: z.array(approvalReasonSchema).min(1),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type ExportApprovalRequiredData = z.infer<typeof exportApprovalRequiredV1>;

const decision = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  approverId: id,
  comment: z.string().max(1000).nullable(),
});
export const exportApprovedV1 = decision;
export type ExportApprovedData = z.infer<typeof exportApprovedV1>;
export const exportRejectedV1 = decision;
export type ExportRejectedData = z.infer<typeof exportRejectedV1>;

export const exportStartedV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  attempt: z.number().int().min(1),
});
export type ExportStartedData = z.infer<typeof exportStartedV1>;

export const exportProgressedV1 = z.strictObject({
  exportId: z.uuid(),
  rowsDone: z.number().int().min(0),
  rowsTotal: z.number().int().min(0),
});
export type ExportProgressedData = z.infer<typeof exportProgressedV1>;

export const exportCompletedV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  rowCount: z.number().int().min(0),
  fields,
  clearFields: fields,
  bytes: z.number().int().min(0),
  fingerprintId: z.string().min(1).max(200),
  /** SHA-256 of the file as downloaded (before encryption at rest), hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExportCompletedData = z.infer<typeof exportCompletedV1>;

export const exportFailedV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  error: z.string().max(1000),
});
export type ExportFailedData = z.infer<typeof exportFailedV1>;

export const exportDownloadedV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  ip: z.string().max(100).nullable(),
  userAgent: z.string().max(1000).nullable(),
  deviceId: z.string().max(200).nullable(),
  geo,
  bytes: z.number().int().min(0),
});
export type ExportDownloadedData = z.infer<typeof exportDownloadedV1>;

export const EXPORT_CANCELLERS = ['requester', 'security_officer', 'offboarding'] as const;
export const exportCancelledV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  cancelledBy: id,
  canceller: z.enum(EXPORT_CANCELLERS),
  reason: z.string().max(500).nullable(),
});
export type ExportCancelledData = z.infer<typeof exportCancelledV1>;

export const exportExpiredV1 = z.strictObject({
  exportId: z.uuid(),
  requesterId: id,
  /** What expired: an approval request not decided in time, or a file not downloaded within retention. */
  stage: z.enum(['approval', 'file']),
});
export type ExportExpiredData = z.infer<typeof exportExpiredV1>;

export type ExportEvent =
  | { type: 'ExportRequested'; data: ExportRequestedData }
  | { type: 'ExportApprovalRequired'; data: ExportApprovalRequiredData }
  | { type: 'ExportApproved'; data: ExportApprovedData }
  | { type: 'ExportRejected'; data: ExportRejectedData }
  | { type: 'ExportStarted'; data: ExportStartedData }
  | { type: 'ExportProgressed'; data: ExportProgressedData }
  | { type: 'ExportCompleted'; data: ExportCompletedData }
  | { type: 'ExportFailed'; data: ExportFailedData }
  | { type: 'ExportDownloaded'; data: ExportDownloadedData }
  | { type: 'ExportCancelled'; data: ExportCancelledData }
  | { type: 'ExportExpired'; data: ExportExpiredData };

export const exportStreamId = (exportId: string): string => `export-${exportId}`;

export const exportEventSpecs: EventSpec[] = [
  { type: 'ExportRequested', versions: { 1: exportRequestedV1 } },
  { type: 'ExportApprovalRequired', versions: { 1: exportApprovalRequiredV1 } },
  { type: 'ExportApproved', versions: { 1: exportApprovedV1 } },
  { type: 'ExportRejected', versions: { 1: exportRejectedV1 } },
  { type: 'ExportStarted', versions: { 1: exportStartedV1 } },
  { type: 'ExportProgressed', versions: { 1: exportProgressedV1 } },
  { type: 'ExportCompleted', versions: { 1: exportCompletedV1 } },
  { type: 'ExportFailed', versions: { 1: exportFailedV1 } },
  { type: 'ExportDownloaded', versions: { 1: exportDownloadedV1 } },
  { type: 'ExportCancelled', versions: { 1: exportCancelledV1 } },
  { type: 'ExportExpired', versions: { 1: exportExpiredV1 } },
];
