import type { ApiClient } from './api-client';
import type { EventStreamHandle, EventStreamOptions } from './event-stream';
import type { Page } from './authorization.api';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const ALERT_RESPONSES = ['suspend-exports', 'end-sessions', 'require-mfa'] as const;
export type AlertResolution = 'resolved' | 'false_positive';

/** An alert as the anomaly-alerting service shows it. */
export type AlertView = {
  id: string;
  rule: string;
  severity: Severity | string;
  score: number;
  userId: string | null;
  summary: string;
  evidence: string[];
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  status: AlertStatus | string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  comment: string | null;
  responses: unknown[];
};

/** A consumed event the alert cites (arrays cut to 10 items by the service). */
export type EvidenceEvent = {
  eventId: string;
  type: string;
  occurredAt: string;
  streamId: string;
  topic: string;
  actor: unknown;
  data: unknown;
};
export type AlertDetail = AlertView & { evidenceEvents: EvidenceEvent[] };

/** A detection rule and its settings (`defaults`: what it ships with). */
export type RuleSettings = {
  enabled: boolean;
  severity: Severity;
  windowSeconds: number;
  thresholds: Record<string, number>;
  response: string[];
};
export type RuleView = RuleSettings & { id: string; defaults: RuleSettings };
export type RulePatch = Partial<RuleSettings>;

export type AlertListQuery = {
  status?: string;
  severity?: string;
  rule?: string;
  userId?: string;
  limit?: number;
  cursor?: string;
};

const one = (id: string) => `/v1/alerts/${encodeURIComponent(id)}`;

/** The anomaly-alerting service's API as the console uses it (security officers, admins, auditors). */
export const alertsApi = (api: ApiClient) => ({
  list: (query: AlertListQuery = {}) =>
    api.request<Page<AlertView>>('anomaly-alerting', '/v1/alerts', { query: { limit: 100, ...query } }),
  get: (id: string) => api.request<AlertDetail>('anomaly-alerting', one(id)),
  acknowledge: (id: string) =>
    api.request<AlertView>('anomaly-alerting', `${one(id)}/acknowledge`, { method: 'POST' }),
  resolve: (id: string, resolution: AlertResolution, comment: string | null) =>
    api.request<AlertView>('anomaly-alerting', `${one(id)}/resolve`, { body: { resolution, comment } }),
  rules: () => api.request<RuleView[]>('anomaly-alerting', '/v1/rules'),
  updateRule: (id: string, patch: RulePatch) =>
    api.request<RuleView>('anomaly-alerting', `/v1/rules/${encodeURIComponent(id)}`, {
      method: 'PUT',
      body: patch,
    }),
  /** The live stream of alert events (SSE with the bearer token; resumable with `Last-Event-ID`). */
  stream: (options: Pick<EventStreamOptions, 'onMessage' | 'onStatus' | 'lastEventId'>): EventStreamHandle =>
    api.openStream('anomaly-alerting', '/v1/alerts/stream', options),
});
export type AlertsApi = ReturnType<typeof alertsApi>;
