import type { ApiClient, DownloadedFile } from './api-client';
import type { Page } from './authorization.api';

/** The services whose events the trail holds (the `service` filter). */
export const AUDIT_SERVICES = [
  'authorization',
  'customer-records',
  'exports',
  'offboarding',
  'anomaly-alerting',
  'audit',
] as const;
export type AuditService = (typeof AUDIT_SERVICES)[number];

/** The filters of an audit search, as the audit service takes them (every one optional, combined with AND). */
export type AuditFilters = {
  actor?: string;
  customer?: string;
  /** Comma-separated PascalCase event types. */
  type?: string;
  service?: AuditService;
  /** ISO 8601 with offset. */
  from?: string;
  to?: string;
  ip?: string;
  correlationId?: string;
};

/** An event exactly as the trail stores it (sensitive values stay ciphertext or masked). */
export type TrailEvent = {
  eventId: string;
  type: string;
  schemaVersion?: number;
  streamId: string;
  streamVersion: number;
  occurredAt: string;
  actor: {
    userId: string;
    sessionId?: string | null;
    ip?: string | null;
    userAgent?: string | null;
    deviceId?: string | null;
  };
  correlationId?: string | null;
  causationId?: string | null;
  data: Record<string, unknown>;
  hash?: string;
};
export type TrailItem = { position: number; topic: string; indexedAt: string; event: TrailEvent };

export type CustomerAccess = {
  customerId: string;
  readers: Array<{
    userId: string;
    views: number;
    reveals: number;
    listings: number;
    other: number;
    lastAt: string;
  }>;
  items: TrailItem[];
  truncated: boolean;
};

export type DailyCounts = {
  day: string;
  logins: number;
  loginFailures: number;
  exports: number;
  reveals: number;
  alerts: number;
};

/** The JSON report of a month or quarter. */
export type AuditReport = {
  period: string;
  from: string;
  to: string;
  generatedAt: string;
  logins: {
    succeeded: number;
    failed: number;
    failuresByReason: Record<string, number>;
    distinctUsers: number;
  };
  unusualLogins: { total: number; byRule: Record<string, number> };
  exports: {
    requested: number;
    approvalRequired: number;
    completed: number;
    rows: number;
    withClearFields: number;
    downloads: number;
  };
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
  };
  views: { customerViews: number; listings: number };
  chainVerification: {
    verifiedAt: string;
    ok: boolean;
    treeSize: number;
    eventsChecked: number;
    problemCount: number;
  } | null;
  daily: DailyCounts[];
};

export type VerificationProblem = {
  kind: 'altered' | 'removed' | 'inserted' | 'reordered' | 'checkpoint' | string;
  position: number | null;
  eventId: string | null;
  topic: string | null;
  streamId: string | null;
  streamVersion: number | null;
  detail: string;
};

export type VerificationResult = {
  ok: boolean;
  verifiedAt: string;
  treeSize: number;
  eventsChecked: number;
  expired: number;
  checkpointsChecked: number;
  lastCheckpoint: {
    treeSize: number;
    rootHash: string;
    issuedAt: string;
    signatureValid: boolean;
    rootMatches: boolean;
  } | null;
  problemCount: number;
  problems: VerificationProblem[];
};

export type Checkpoint = {
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  algorithm: string;
  keyId: string;
  publicKey: string;
  signature: string;
};
export type Checkpoints = { publicKey: string; keyId: string; items: Checkpoint[] };

/** A user's recent activity (`GET /v1/audit/users/:id/activity`): the newest events and a summary. */
export type UserActivity = {
  userId: string;
  from: string;
  to: string;
  summary: Record<string, unknown>;
  /** Newest first. */
  timeline: TrailItem[];
  eventCount: number;
  truncated: boolean;
};

/** Events of several pages of a search, and whether more were left. */
export type CollectedEvents = { items: TrailItem[]; truncated: boolean };

const period = (id: string) => `/v1/audit/reports/${encodeURIComponent(id)}`;

/** The audit service's API as the console uses it (auditors, security officers, admins). */
export const auditApi = (api: ApiClient) => ({
  search: (filters: AuditFilters, cursor?: string, limit = 50) =>
    api.request<Page<TrailItem>>('audit', '/v1/audit/events', { query: { ...filters, cursor, limit } }),
  /** The whole search as a file (recorded in the trail as `AuditTrailExported`). */
  exportFile: (filters: AuditFilters, format: 'csv' | 'json'): Promise<DownloadedFile> =>
    api.download('audit', '/v1/audit/events/export', {
      query: { ...filters, format },
      fallbackName: `audit-trail.${format}`,
    }),
  customerAccess: (customerId: string, range: { from?: string; to?: string } = {}) =>
    api.request<CustomerAccess>('audit', `/v1/audit/customers/${encodeURIComponent(customerId)}/access`, {
      query: { ...range, limit: 500 },
    }),
  report: (periodId: string) =>
    api.request<AuditReport>('audit', period(periodId), { query: { format: 'json' } }),
  /** The printable HTML report (server-rendered SVG charts, no script). */
  reportHtml: async (periodId: string): Promise<string> => {
    const file = await api.download('audit', period(periodId), {
      query: { format: 'html' },
      fallbackName: `audit-report-${periodId}.html`,
    });
    return file.blob.text();
  },
  userActivity: (userId: string, days = 7) =>
    api.request<UserActivity>('audit', `/v1/audit/users/${encodeURIComponent(userId)}/activity`, {
      query: { days },
    }),
  /** Up to `maxPages` pages of 500 events of a search (charts, tables of a period). */
  collect: async (filters: AuditFilters, maxPages = 4): Promise<CollectedEvents> => {
    const items: TrailItem[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const answer = await api.request<Page<TrailItem>>('audit', '/v1/audit/events', {
        query: { ...filters, cursor, limit: 500 },
      });
      items.push(...answer.items);
      if (!answer.nextCursor) return { items, truncated: false };
      cursor = answer.nextCursor;
    }
    return { items, truncated: true };
  },
  verify: () => api.request<VerificationResult>('audit', '/v1/audit/verify'),
  checkpoints: (limit = 10) =>
    api.request<Checkpoints>('audit', '/v1/audit/checkpoints', { query: { limit } }),
});
export type AuditApi = ReturnType<typeof auditApi>;
