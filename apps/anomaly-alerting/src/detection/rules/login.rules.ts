import { getDistance } from 'geolib';
import type { Finding, LoginState } from '../detection.types';
import type { RuleSettingsMap } from '../rule-settings';
import type { LoginSucceededSignal } from '../signal.types';
import { evidenceOf, learned, raise, scoreOf } from './rule.util';

type Login = { signal: LoginSucceededSignal; state: LoginState; settings: RuleSettingsMap };

const finding = (signal: LoginSucceededSignal, rest: Omit<Finding, 'subject' | 'userId' | 'at'>): Finding => ({
  ...rest,
  subject: signal.userId,
  userId: signal.userId,
  at: signal.at,
});

/** Something the user never logged in with (device, country, network), once the learning period is over. */
function firstUse(
  rule: 'new-device' | 'new-country' | 'new-network',
  seenBefore: boolean | null,
  what: string,
  { signal, state, settings }: Login,
): Finding | null {
  const s = settings[rule];
  if (!s.enabled || seenBefore !== false) return null;
  if (!learned(state.priorLogins, state.firstLoginAt, signal.at, s.thresholds)) return null;
  return finding(signal, {
    rule,
    severity: s.severity,
    score: scoreOf(s.severity),
    summary: `login from a ${what} not used in ${state.priorLogins} earlier logins`,
    evidence: [signal.eventId],
  });
}

export const newDeviceRule = (input: Login): Finding | null =>
  firstUse('new-device', input.state.deviceSeenBefore, 'device', input);

export const newCountryRule = (input: Login): Finding | null =>
  firstUse('new-country', input.state.countrySeenBefore, `country (${input.signal.country})`, input);

/** The network is the address's /24 (IPv4) or /48 (IPv6) prefix until an ASN database is available. */
export const newNetworkRule = (input: Login): Finding | null =>
  firstUse('new-network', input.state.networkSeenBefore, 'network', input);

/**
 * Two located logins further apart than `maxSpeedKmh` allows in the time between them. The
 * GeoIP accuracy radii of both points are taken off the distance first, and pairs closer than
 * `minDistanceKm` are ignored (neighbouring cities resolve to each other's coordinates).
 */
export function impossibleTravelRule({ signal, state, settings }: Login): Finding | null {
  const s = settings['impossible-travel'];
  const previous = state.previousLocated;
  if (!s.enabled || !signal.location || !previous) return null;
  const km = getDistance(
    { latitude: previous.location.lat, longitude: previous.location.lon },
    { latitude: signal.location.lat, longitude: signal.location.lon },
  ) / 1000;
  const distance = km - previous.location.accuracyKm - signal.location.accuracyKm;
  if (distance < (s.thresholds['minDistanceKm'] ?? 0)) return null;
  const hours = Math.abs(signal.at - previous.at) / 3_600_000;
  const maxSpeed = s.thresholds['maxSpeedKmh'] ?? 900;
  const speed = hours === 0 ? Number.POSITIVE_INFINITY : distance / hours;
  if (speed <= maxSpeed) return null;
  return finding(signal, {
    rule: 'impossible-travel',
    severity: s.severity,
    score: scoreOf(s.severity, Number.isFinite(speed) ? speed / maxSpeed : 16),
    summary: `logins ${Math.round(km)} km apart within ${Math.round(hours * 60)} min (${Number.isFinite(speed) ? Math.round(speed) : '∞'} km/h)`,
    evidence: [signal.eventId, previous.eventId],
  });
}

/**
 * A login in an hour (UTC, with the hour on each side) that held less than `minHourShare` of the
 * user's earlier logins, once they have `learningLogins` of them.
 */
export function offHoursLoginRule({ signal, state, settings }: Login): Finding | null {
  const s = settings['off-hours-login'];
  if (!s.enabled) return null;
  const total = state.hourHistogram.reduce((sum, n) => sum + n, 0);
  if (total < (s.thresholds['learningLogins'] ?? 0)) return null;
  const hour = new Date(signal.at).getUTCHours();
  const band = [hour + 23, hour, hour + 1].reduce((sum, h) => sum + (state.hourHistogram[h % 24] ?? 0), 0);
  const share = band / total;
  if (share >= (s.thresholds['minHourShare'] ?? 0)) return null;
  return finding(signal, {
    rule: 'off-hours-login',
    severity: s.severity,
    score: scoreOf(s.severity),
    summary: `login at ${String(hour).padStart(2, '0')}:00 UTC, an hour that held ${(share * 100).toFixed(1)}% of ${total} earlier logins`,
    evidence: [signal.eventId],
  });
}

/** A success after at least `failures` failed logins in the window: the guess worked. Critical. */
export function bruteForceSuccessRule({ signal, state, settings }: Login): Finding | null {
  const s = settings['brute-force'];
  const failures = state.failuresBefore.count;
  if (!s.enabled || failures < (s.thresholds['failures'] ?? 1)) return null;
  const severity = raise(raise(s.severity));
  return finding(signal, {
    rule: 'brute-force',
    severity,
    score: scoreOf(severity, failures / (s.thresholds['failures'] ?? 1)),
    summary: `successful login after ${failures} failed attempts`,
    evidence: evidenceOf(signal.eventId, state.failuresBefore.eventIds),
  });
}

export const LOGIN_RULES = [
  newDeviceRule,
  newCountryRule,
  newNetworkRule,
  impossibleTravelRule,
  offHoursLoginRule,
  bruteForceSuccessRule,
] as const;
