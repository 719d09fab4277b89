import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of the audit service. Checkpoints (`AuditCheckpointSigned`, one stream `audit-checkpoints`)
 * go to `warden.audit.checkpoints.v1` (`AUDIT_CHECKPOINTS_TOPIC`); the audit's own actions
 * (`AuditTrailExported`, `AuditReportGenerated`) go to `warden.audit.events.v1`. A broken hash chain
 * is raised as an `AlertRaised` with rule `audit-chain-broken` on `warden.alerts.v1`.
 */

/** The topic the audit publishes its signed checkpoints on. */
export const AUDIT_CHECKPOINTS_TOPIC = 'warden.audit.checkpoints.v1';
export const AUDIT_CHECKPOINT_STREAM = 'audit-checkpoints';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64');

/**
 * A signed tree head of the audit trail's Merkle tree (RFC 6962 hashing). The signature is Ed25519
 * over the UTF-8 text `checkpointSignedText(...)`; `keyId` is the first 16 hex characters of
 * SHA-256 over the raw 32-byte public key.
 */
export const auditCheckpointSignedV1 = z.strictObject({
  treeSize: z.number().int().min(1),
  rootHash: hex64,
  issuedAt: z.iso.datetime({ offset: true }),
  algorithm: z.literal('Ed25519'),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  publicKey: base64,
  signature: base64,
});
export type AuditCheckpointSignedData = z.infer<typeof auditCheckpointSignedV1>;

/** The exact text a checkpoint's signature covers. */
export const checkpointSignedText = (c: Pick<AuditCheckpointSignedData, 'treeSize' | 'rootHash' | 'issuedAt' | 'keyId'>): string =>
  `warden-audit-checkpoint/v1\n${c.keyId}\n${c.treeSize}\n${c.rootHash}\n${c.issuedAt}\n`;

export const AUDIT_EXPORT_FORMATS = ['csv', 'json'] as const;

/** A search of the audit trail was exported (who, which filters, how many rows). */
export const auditTrailExportedV1 = z.strictObject({
  exportedBy: z.string().min(1).max(200),
  format: z.enum(AUDIT_EXPORT_FORMATS),
  /** The search filters as given (user ids, event types, dates: no sensitive values). */
  filters: z.record(z.string(), z.string().max(200)),
  rowCount: z.number().int().min(0),
});
export type AuditTrailExportedData = z.infer<typeof auditTrailExportedV1>;

/** A periodic report was generated (by schedule or on demand). */
export const auditReportGeneratedV1 = z.strictObject({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/),
  trigger: z.enum(['schedule', 'on-demand']),
  generatedBy: z.string().min(1).max(200),
  format: z.enum(['html', 'json', 'csv']),
  /** SHA-256 of the report's JSON, so a copy can be checked. */
  sha256: hex64,
});
export type AuditReportGeneratedData = z.infer<typeof auditReportGeneratedV1>;

/**
 * The answer to `CompileUserActivity` (offboarding's leaver report): the user's activity over the
 * last `days` days as the audit's activity summary (logins with address, device and location,
 * customers viewed, reveals, exports, downloads, alerts; see `GET /v1/audit/users/:id/activity`),
 * without the timeline. On the command's answer stream, with the command id as causation id.
 * Search results of the trail mask the logins' addresses, devices and locations like those of
 * every employee.
 */
export const userActivityCompiledV1 = z.strictObject({
  commandId: z.uuid(),
  userId: z.string().min(1).max(200),
  days: z.number().int().min(1).max(366),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  eventCount: z.number().int().min(0),
  truncated: z.boolean(),
  summary: z.record(z.string(), z.unknown()),
});
export type UserActivityCompiledData = z.infer<typeof userActivityCompiledV1>;

export type AuditEvent =
  | { type: 'AuditCheckpointSigned'; data: AuditCheckpointSignedData }
  | { type: 'AuditTrailExported'; data: AuditTrailExportedData }
  | { type: 'AuditReportGenerated'; data: AuditReportGeneratedData }
  | { type: 'UserActivityCompiled'; data: UserActivityCompiledData };

export const auditEventSpecs: EventSpec[] = [
  { type: 'AuditCheckpointSigned', versions: { 1: auditCheckpointSignedV1 } },
  { type: 'AuditTrailExported', versions: { 1: auditTrailExportedV1 } },
  { type: 'AuditReportGenerated', versions: { 1: auditReportGeneratedV1 } },
  { type: 'UserActivityCompiled', versions: { 1: userActivityCompiledV1 } },
];
