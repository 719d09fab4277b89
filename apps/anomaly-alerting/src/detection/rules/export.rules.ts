import type { ExportCompletedState, ExportDownloadedState, Finding } from '../detection.types';
import type { RuleSettingsMap } from '../rule-settings';
import type { ExportCompletedSignal, ExportDownloadedSignal } from '../signal.types';
import { evidenceOf, raise, scoreOf } from './rule.util';

type Completed = { signal: ExportCompletedSignal; state: ExportCompletedState; settings: RuleSettingsMap };

const userFinding = (
  signal: { userId: string; at: number },
  rest: Omit<Finding, 'subject' | 'userId' | 'at'>,
): Finding => ({ ...rest, subject: signal.userId, userId: signal.userId, at: signal.at });

/**
 * Rows exported in the window reach `absoluteRows`, or reach `minRows` and exceed
 * `baselineMultiplier` × everything the user exported in the 14 days before the window.
 */
export function bulkExportRule({ signal, state, settings }: Completed): Finding | null {
  const s = settings['bulk-export'];
  if (!s.enabled) return null;
  const rows = state.rowsInWindow;
  const absolute = s.thresholds['absoluteRows'] ?? Number.POSITIVE_INFINITY;
  const minRows = s.thresholds['minRows'] ?? 0;
  const baselineLimit = (s.thresholds['baselineMultiplier'] ?? 1) * state.rowsBaseline;
  const overAbsolute = rows >= absolute;
  const overBaseline = rows >= minRows && rows > baselineLimit;
  if (!overAbsolute && !overBaseline) return null;
  const severity = overAbsolute && overBaseline ? raise(s.severity) : s.severity;
  return userFinding(signal, {
    rule: 'bulk-export',
    severity,
    score: scoreOf(severity, overAbsolute ? rows / absolute : rows / Math.max(1, baselineLimit, minRows)),
    summary: overAbsolute
      ? `${rows} rows exported within ${Math.round(s.windowSeconds / 60)} min (threshold ${absolute})`
      : `${rows} rows exported within ${Math.round(s.windowSeconds / 60)} min, more than the ${state.rowsBaseline} of the 14 days before`,
    evidence: evidenceOf(signal.eventId, state.eventIds),
  });
}

/** An export that carried at least `minClearFields` sensitive fields in clear (and `minRows` rows). */
export function clearSensitiveExportRule({ signal, settings }: Completed): Finding | null {
  const s = settings['clear-sensitive-export'];
  if (!s.enabled) return null;
  if (signal.clearFields.length < (s.thresholds['minClearFields'] ?? 1)) return null;
  if (signal.rowCount < (s.thresholds['minRows'] ?? 0)) return null;
  return userFinding(signal, {
    rule: 'clear-sensitive-export',
    severity: s.severity,
    score: scoreOf(s.severity, signal.clearFields.length),
    summary: `export of ${signal.rowCount} rows with ${signal.clearFields.join(', ')} in clear`,
    evidence: [signal.eventId],
  });
}

/** A departing user's export of at least `exportRows` rows. */
export function departingExportRule({ signal, state, settings }: Completed): Finding | null {
  const s = settings['departing-user-activity'];
  if (!s.enabled || !state.departing || signal.rowCount < (s.thresholds['exportRows'] ?? 1)) return null;
  return userFinding(signal, {
    rule: 'departing-user-activity',
    severity: s.severity,
    score: scoreOf(s.severity, signal.rowCount / Math.max(1, s.thresholds['exportRows'] ?? 1)),
    summary: `departing user exported ${signal.rowCount} rows`,
    evidence: [signal.eventId],
  });
}

/**
 * A download from another network (or, with `countryOnly` = 1, only another country) than the
 * export was requested from. A change of country raises the severity. Unknown on either side: no finding.
 */
export function downloadIpMismatchRule({
  signal,
  state,
  settings,
}: {
  signal: ExportDownloadedSignal;
  state: ExportDownloadedState;
  settings: RuleSettingsMap;
}): Finding | null {
  const s = settings['download-ip-mismatch'];
  const requested = state.requested;
  if (!s.enabled || !requested) return null;
  const countryChanged = !!requested.country && !!signal.country && requested.country !== signal.country;
  const networkChanged = !!requested.network && !!signal.network && requested.network !== signal.network;
  const countryOnly = (s.thresholds['countryOnly'] ?? 0) >= 1;
  if (!countryChanged && (countryOnly || !networkChanged)) return null;
  const severity = countryChanged ? raise(s.severity) : s.severity;
  return userFinding(signal, {
    rule: 'download-ip-mismatch',
    severity,
    score: scoreOf(severity),
    summary: countryChanged
      ? `export requested from ${requested.country}, downloaded from ${signal.country}`
      : `export downloaded from network ${signal.network}, requested from ${requested.network}`,
    evidence: [signal.eventId, requested.eventId],
  });
}
