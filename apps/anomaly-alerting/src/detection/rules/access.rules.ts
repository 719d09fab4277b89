import type { AccessState, Finding } from '../detection.types';
import type { RuleSettingsMap } from '../rule-settings';
import type { CustomersAccessedSignal } from '../signal.types';
import { evidenceOf, scoreOf } from './rule.util';

type Access = { signal: CustomersAccessedSignal; state: AccessState; settings: RuleSettingsMap };

/**
 * Customers viewed or listed in the window reach `absoluteCustomers`, or reach `minCustomers` and
 * exceed `baselineMultiplier` × the user's busiest window of the baseline days. Until the user has
 * `learningDays` days of history only the absolute threshold applies.
 */
export function massViewingRule({ signal, state, settings }: Access): Finding | null {
  const s = settings['mass-viewing'];
  if (!s.enabled || signal.customers === 0) return null;
  const count = state.customersInWindow;
  const absolute = s.thresholds['absoluteCustomers'] ?? Number.POSITIVE_INFINITY;
  const learnedBaseline = state.baselineDays >= (s.thresholds['learningDays'] ?? 0);
  const limit = Math.max(s.thresholds['minCustomers'] ?? 0, (s.thresholds['baselineMultiplier'] ?? 1) * state.baselinePeak);
  const overAbsolute = count >= absolute;
  const overBaseline = learnedBaseline && count >= limit && count > 0;
  if (!overAbsolute && !overBaseline) return null;
  return {
    rule: 'mass-viewing',
    subject: signal.userId,
    userId: signal.userId,
    severity: s.severity,
    score: scoreOf(s.severity, count / Math.max(1, overAbsolute ? absolute : limit)),
    summary: `${count} customers viewed or listed within ${Math.round(s.windowSeconds / 60)} min (usual peak ${state.baselinePeak})`,
    evidence: evidenceOf(signal.eventId, state.eventIds),
    at: signal.at,
  };
}

/**
 * A departing user who reveals at least `reveals` sensitive fields in the window, or views at least
 * `minCustomers` customers and more than `baselineMultiplier` × their usual peak.
 */
export function departingAccessRule({ signal, state, settings }: Access): Finding | null {
  const s = settings['departing-user-activity'];
  if (!s.enabled || !state.departing) return null;
  const revealLimit = s.thresholds['reveals'] ?? Number.POSITIVE_INFINITY;
  const viewLimit = Math.max(s.thresholds['minCustomers'] ?? 0, (s.thresholds['baselineMultiplier'] ?? 1) * state.baselinePeak);
  const reveals = signal.reveals > 0 && state.revealsInWindow >= revealLimit;
  const views = signal.customers > 0 && state.customersInWindow >= viewLimit;
  if (!reveals && !views) return null;
  return {
    rule: 'departing-user-activity',
    subject: signal.userId,
    userId: signal.userId,
    severity: s.severity,
    score: scoreOf(s.severity, reveals ? state.revealsInWindow / revealLimit : state.customersInWindow / Math.max(1, viewLimit)),
    summary: reveals
      ? `departing user revealed ${state.revealsInWindow} sensitive fields within ${Math.round(s.windowSeconds / 60)} min`
      : `departing user viewed ${state.customersInWindow} customers within ${Math.round(s.windowSeconds / 60)} min (usual peak ${state.baselinePeak})`,
    evidence: evidenceOf(signal.eventId, state.eventIds),
    at: signal.at,
  };
}
