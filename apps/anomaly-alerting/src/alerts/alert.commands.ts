import type { AlertResponse, AlertRule, Severity } from '@warden/contracts';

export type RaiseAlert = {
  type: 'RaiseAlert';
  alertId: string;
  rule: AlertRule;
  severity: Severity;
  score: number;
  userId: string | null;
  summary: string;
  evidence: string[];
  at: string;
};
/**
 * The rule fired again for the alert's subject within its window: `times` findings at once (those
 * of one consumed batch), with the highest severity and score among them, their evidence, and the
 * time of the latest.
 */
export type RecordRepeat = {
  type: 'RecordRepeat';
  severity: Severity;
  score: number;
  evidence: string[];
  at: string;
  times: number;
};
export type AcknowledgeAlert = { type: 'AcknowledgeAlert'; by: string };
export type ResolveAlert = {
  type: 'ResolveAlert';
  by: string;
  resolution: 'resolved' | 'false_positive';
  comment: string | null;
};
export type RecordResponse = { type: 'RecordResponse'; response: AlertResponse; undo: boolean; reference: string | null };

export type AlertCommand = RaiseAlert | RecordRepeat | AcknowledgeAlert | ResolveAlert | RecordResponse;
