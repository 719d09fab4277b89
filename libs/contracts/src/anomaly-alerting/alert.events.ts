import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of the anomaly-alerting service: one stream per alert (`alert-<alertId>`) and one per rule
 * (`rule-<ruleId>`). Alert streams are published to `warden.alerts.v1` (`Topics.alerts`), rule streams
 * to `warden.anomaly-alerting.events.v1`. Evidence is a list of
 * event ids; an alert never copies the data of the events it points to.
 */

export const ALERT_RULES = [
  'bulk-export',
  'clear-sensitive-export',
  'mass-viewing',
  'new-device',
  'new-country',
  'new-network',
  'impossible-travel',
  'off-hours-login',
  'brute-force',
  'password-spray',
  'access-denied-burst',
  'departing-user-activity',
  'download-ip-mismatch',
  'audit-chain-broken',
] as const;
export const alertRuleSchema = z.enum(ALERT_RULES);
export type AlertRule = z.infer<typeof alertRuleSchema>;

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export const alertStatusSchema = z.enum(ALERT_STATUSES);
export type AlertStatus = z.infer<typeof alertStatusSchema>;

/** What an alert can do on its own (see the rule's `response`). */
export const ALERT_RESPONSES = ['suspend-exports', 'end-sessions', 'require-mfa'] as const;
export const alertResponseSchema = z.enum(ALERT_RESPONSES);
export type AlertResponse = z.infer<typeof alertResponseSchema>;

const id = z.string().min(1).max(200);
const when = z.iso.datetime({ offset: true });
const evidence = z.array(z.uuid()).max(100);

export const alertRaisedV1 = z.strictObject({
  alertId: z.uuid(),
  rule: alertRuleSchema,
  severity: severitySchema,
  score: z.number().min(0).max(100),
  /** The user the alert is about; null when the subject is a network or address (password spray). */
  userId: id.nullable(),
  summary: z.string().min(1).max(500),
  evidence,
  count: z.number().int().min(1),
  firstSeenAt: when,
  lastSeenAt: when,
});
export type AlertRaisedData = z.infer<typeof alertRaisedV1>;

/** The same rule fired again for the same subject within its window. */
export const alertUpdatedV1 = z.strictObject({
  alertId: z.uuid(),
  rule: alertRuleSchema,
  userId: id.nullable(),
  severity: severitySchema,
  score: z.number().min(0).max(100),
  addedEvidence: evidence,
  count: z.number().int().min(1),
  lastSeenAt: when,
});
export type AlertUpdatedData = z.infer<typeof alertUpdatedV1>;

export const alertAcknowledgedV1 = z.strictObject({ alertId: z.uuid(), userId: id.nullable(), by: id });
export type AlertAcknowledgedData = z.infer<typeof alertAcknowledgedV1>;

export const alertResolvedV1 = z.strictObject({
  alertId: z.uuid(),
  rule: alertRuleSchema,
  userId: id.nullable(),
  by: id,
  resolution: z.enum(['resolved', 'false_positive']),
  comment: z.string().max(1000).nullable(),
});
export type AlertResolvedData = z.infer<typeof alertResolvedV1>;

/** An automated response was carried out (or undone when the alert was resolved as a false positive). */
export const alertResponseTakenV1 = z.strictObject({
  alertId: z.uuid(),
  userId: id,
  response: alertResponseSchema,
  undo: z.boolean(),
  /** What the response created elsewhere (e.g. the grant id of a time-bound deny), to undo it. */
  reference: z.string().max(200).nullable(),
});
export type AlertResponseTakenData = z.infer<typeof alertResponseTakenV1>;

/** A rule's settings were changed through the API. */
export const alertRuleChangedV1 = z.strictObject({
  rule: alertRuleSchema,
  changedBy: id,
  /** The settings after the change (thresholds, window, severity, response, enabled). */
  settings: z.record(z.string(), z.unknown()),
});
export type AlertRuleChangedData = z.infer<typeof alertRuleChangedV1>;

export type AlertEvent =
  | { type: 'AlertRaised'; data: AlertRaisedData }
  | { type: 'AlertUpdated'; data: AlertUpdatedData }
  | { type: 'AlertAcknowledged'; data: AlertAcknowledgedData }
  | { type: 'AlertResolved'; data: AlertResolvedData }
  | { type: 'AlertResponseTaken'; data: AlertResponseTakenData }
  | { type: 'AlertRuleChanged'; data: AlertRuleChangedData };

export const alertStreamId = (alertId: string): string => `alert-${alertId}`;

export const alertEventSpecs: EventSpec[] = [
  { type: 'AlertRaised', versions: { 1: alertRaisedV1 } },
  { type: 'AlertUpdated', versions: { 1: alertUpdatedV1 } },
  { type: 'AlertAcknowledged', versions: { 1: alertAcknowledgedV1 } },
  { type: 'AlertResolved', versions: { 1: alertResolvedV1 } },
  { type: 'AlertResponseTaken', versions: { 1: alertResponseTakenV1 } },
  { type: 'AlertRuleChanged', versions: { 1: alertRuleChangedV1 } },
];
