import type { FailureState, Finding, WindowCount } from '../detection.types';
import type { RuleSettingsMap } from '../rule-settings';
import type { AccessDeniedSignal, LoginFailedSignal } from '../signal.types';
import { evidenceOf, scoreOf } from './rule.util';

type Failure = { signal: LoginFailedSignal; state: FailureState; settings: RuleSettingsMap };

/** At least `failures` failed logins for one user (or user name) in the window. */
export function bruteForceRule({ signal, state, settings }: Failure): Finding | null {
  const s = settings['brute-force'];
  const threshold = s.thresholds['failures'] ?? 1;
  if (!s.enabled || state.userFailures.count < threshold) return null;
  return {
    rule: 'brute-force',
    subject: signal.userKey,
    userId: signal.userId,
    severity: s.severity,
    score: scoreOf(s.severity, state.userFailures.count / threshold),
    summary: `${state.userFailures.count} failed logins within ${Math.round(s.windowSeconds / 60)} min`,
    evidence: evidenceOf(signal.eventId, state.userFailures.eventIds),
    at: signal.at,
  };
}

/** Failed logins for at least `distinctUsers` different user names from one network in the window. */
export function passwordSprayRule({ signal, state, settings }: Failure): Finding | null {
  const s = settings['password-spray'];
  const threshold = s.thresholds['distinctUsers'] ?? 1;
  if (!s.enabled || !state.spray || !signal.network || state.spray.count < threshold) return null;
  return {
    rule: 'password-spray',
    subject: `net:${signal.network}`,
    userId: null,
    severity: s.severity,
    score: scoreOf(s.severity, state.spray.count / threshold),
    summary: `failed logins for ${state.spray.count} different users from network ${signal.network} within ${Math.round(s.windowSeconds / 60)} min`,
    evidence: evidenceOf(signal.eventId, state.spray.eventIds),
    at: signal.at,
  };
}

/** At least `denials` refused requests by one user in the window. */
export function accessDeniedBurstRule({
  signal,
  state,
  settings,
}: {
  signal: AccessDeniedSignal;
  state: WindowCount;
  settings: RuleSettingsMap;
}): Finding | null {
  const s = settings['access-denied-burst'];
  const threshold = s.thresholds['denials'] ?? 1;
  if (!s.enabled || state.count < threshold) return null;
  return {
    rule: 'access-denied-burst',
    subject: signal.userId,
    userId: signal.userId,
    severity: s.severity,
    score: scoreOf(s.severity, state.count / threshold),
    summary: `${state.count} denied requests within ${Math.round(s.windowSeconds / 60)} min`,
    evidence: evidenceOf(signal.eventId, state.eventIds),
    at: signal.at,
  };
}
