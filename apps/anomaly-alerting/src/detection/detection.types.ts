import type { Severity } from '@warden/contracts';
import type { DetectionRule } from './rule-settings';
import type {
  AccessDeniedSignal,
  CustomersAccessedSignal,
  ExportCompletedSignal,
  ExportDownloadedSignal,
  GeoPoint,
  LoginFailedSignal,
  LoginSucceededSignal,
} from './signal.types';

/** Events counted in a window, the newest first (at most 20 ids). */
export type WindowCount = { count: number; eventIds: string[] };

/** What Redis knew before this login (see `DetectionStateStore.loginSucceeded`). */
export type LoginState = {
  priorLogins: number;
  firstLoginAt: number | null;
  /** `null`: the login named no device (country, network) so nothing can be new. */
  deviceSeenBefore: boolean | null;
  countrySeenBefore: boolean | null;
  networkSeenBefore: boolean | null;
  previousLocated: { at: number; location: GeoPoint; eventId: string } | null;
  /** Logins per UTC hour before this one. */
  hourHistogram: number[];
  /** The user's failed logins within the brute-force window before this success. */
  failuresBefore: WindowCount;
};

export type FailureState = {
  /** Failures for this user (or user name) in the brute-force window, this one included. */
  userFailures: WindowCount;
  /** Distinct user names failing from this network in the spray window; null without a network. */
  spray: WindowCount | null;
};

export type ExportCompletedState = {
  /** Rows exported in the window, this export included. */
  rowsInWindow: number;
  /** Rows exported in the baseline period before the window (14 days). */
  rowsBaseline: number;
  eventIds: string[];
  departing: boolean;
};

export type ExportDownloadedState = {
  requested: { network: string | null; country: string | null; eventId: string } | null;
};

export type AccessState = {
  /** Customers viewed or listed in the window, this event included. */
  customersInWindow: number;
  /** The highest window count of the baseline days (anomalous days excluded); 0 without history. */
  baselinePeak: number;
  /** How many of the baseline days had activity. */
  baselineDays: number;
  revealsInWindow: number;
  eventIds: string[];
  departing: boolean;
};

/** A signal with the state its rules need. */
export type RuleInput =
  | { kind: 'login-succeeded'; signal: LoginSucceededSignal; state: LoginState }
  | { kind: 'login-failed'; signal: LoginFailedSignal; state: FailureState }
  | { kind: 'export-completed'; signal: ExportCompletedSignal; state: ExportCompletedState }
  | { kind: 'export-downloaded'; signal: ExportDownloadedSignal; state: ExportDownloadedState }
  | { kind: 'customers-accessed'; signal: CustomersAccessedSignal; state: AccessState }
  | { kind: 'access-denied'; signal: AccessDeniedSignal; state: WindowCount };

/** A rule fired. `subject` is what alerts are deduplicated by (a user id, or `net:<prefix>`). */
export type Finding = {
  rule: DetectionRule;
  subject: string;
  userId: string | null;
  severity: Severity;
  score: number;
  summary: string;
  evidence: string[];
  at: number;
};
