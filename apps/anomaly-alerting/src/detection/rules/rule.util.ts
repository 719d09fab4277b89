import type { Severity } from '@warden/contracts';

const BASE_SCORE: Record<Severity, number> = { low: 25, medium: 50, high: 75, critical: 90 };
const ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/**
 * 0–100: the severity's base, plus up to 10 points as the observed value exceeds its threshold
 * (one point per doubling beyond it... capped), so two alerts of one severity still rank.
 */
export function scoreOf(severity: Severity, ratio = 1): number {
  const bump = ratio > 1 ? Math.min(10, Math.round(Math.log2(ratio) * 3)) : 0;
  return Math.min(100, BASE_SCORE[severity] + bump);
}

/** One step up the severity scale (critical stays critical). */
export const raise = (severity: Severity): Severity => ORDER[Math.min(ORDER.length - 1, ORDER.indexOf(severity) + 1)];

/** Ids for an alert's evidence: this event first, no repeats, at most `max`. */
export const evidenceOf = (eventId: string, others: readonly string[], max = 20): string[] =>
  [eventId, ...others.filter((id) => id !== eventId)].slice(0, max);

/** Whether the learning period is over: enough logins over enough days. */
export const learned = (
  priorLogins: number,
  firstLoginAt: number | null,
  at: number,
  thresholds: Record<string, number>,
): boolean =>
  priorLogins >= (thresholds['learningLogins'] ?? 0) &&
  firstLoginAt !== null &&
  at - firstLoginAt >= (thresholds['learningDays'] ?? 0) * 24 * 3600 * 1000;
