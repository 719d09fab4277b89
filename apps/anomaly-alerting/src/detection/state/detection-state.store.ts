import type Redis from 'ioredis';
import type {
  AccessState,
  ExportCompletedState,
  ExportDownloadedState,
  FailureState,
  LoginState,
  WindowCount,
} from '../detection.types';
import type { RuleSettingsMap } from '../rule-settings';
import type {
  AccessDeniedSignal,
  CustomersAccessedSignal,
  ExportCompletedSignal,
  ExportDownloadedSignal,
  ExportRequestedSignal,
  LoginFailedSignal,
  LoginSucceededSignal,
  Signal,
  UserStatusSignal,
} from '../signal.types';
import {
  ACCESS_DENIED_LUA,
  CUSTOMERS_ACCESSED_LUA,
  EXPORT_COMPLETED_LUA,
  LOGIN_FAILED_NETWORK_LUA,
  LOGIN_FAILED_USER_LUA,
  LOGIN_SUCCEEDED_LUA,
  MARK_ANOMALOUS_DAY_LUA,
  RELEASE_MEMOS_LUA,
} from './detection-state.lua';

const DAY_MS = 24 * 3600 * 1000;
/** Failure and denial windows keep 24 h of entries (the longest window a rule may use). */
const KEEP_MS = DAY_MS;
const BULK_EXPORT_BASELINE_MS = 14 * DAY_MS;
/** How many marked (user, day) pairs a process remembers before it starts again from none. */
const MARKED_DAYS_MAX = 50_000;
/** How long an export's request location is kept for comparing its downloads (the evidence retention, ANOMALY_ALERTING_EVIDENCE_RETENTION_DAYS, is longer). */
const EXPORT_REQUEST_TTL_S = 30 * 24 * 3600;

const baselineDaysOf = (settings: RuleSettingsMap): number => settings['mass-viewing'].thresholds['baselineDays'] ?? 14;

export type DetectionStateOptions = {
  /** Prefix of every key (`warden:aa:`; tests use their own). */
  prefix: string;
  /** How long a processed event's memo is kept: redeliveries later than this count again. */
  memoTtlSeconds: number;
  /**
   * How long a memo is kept once its event's batch has committed (`release`): a committed event is
   * skipped by the inbox, so the memo only covers another instance that read the event as not yet
   * processed just before the commit and is applying it now (a rebalance).
   */
  committedMemoTtlSeconds: number;
};

type Scripted = Redis & Record<string, (...args: Array<string | number>) => Promise<string>>;

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const windowCount = (raw: { count: number; eventIds: unknown }): WindowCount => ({
  count: Number(raw.count),
  eventIds: list(raw.eventIds),
});

/**
 * The detection state in Redis: windows, counters, first-seen sets and baselines per user and
 * per network. Each method applies one event atomically (a Lua script) and returns the state its
 * rules judge by; a redelivered event gets the same answer and changes nothing (see the scripts).
 */
export class DetectionStateStore {
  private readonly redis: Scripted;
  /** (user, day) pairs this process has marked anomalous (see `markAnomalousDay`). */
  private readonly markedDays = new Set<string>();

  constructor(
    redis: Redis,
    private readonly options: DetectionStateOptions,
  ) {
    this.redis = redis as Scripted;
    const define = (name: string, numberOfKeys: number, lua: string) => {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys, lua });
    };
    define('aaLoginSucceeded', 8, LOGIN_SUCCEEDED_LUA);
    define('aaLoginFailedUser', 2, LOGIN_FAILED_USER_LUA);
    define('aaLoginFailedNetwork', 3, LOGIN_FAILED_NETWORK_LUA);
    define('aaExportCompleted', 3, EXPORT_COMPLETED_LUA);
    define('aaCustomersAccessed', 8, CUSTOMERS_ACCESSED_LUA);
    define('aaAccessDenied', 2, ACCESS_DENIED_LUA);
    define('aaMarkAnomalousDay', 2, MARK_ANOMALOUS_DAY_LUA);
    if (!('aaReleaseMemos' in this.redis)) this.redis.defineCommand('aaReleaseMemos', { lua: RELEASE_MEMOS_LUA }); // key count given per call
  }

  private user(userId: string, name: string): string {
    return `${this.options.prefix}{u:${userId}}:${name}`;
  }

  private memo(userId: string, kind: string, eventId: string): string {
    return this.user(userId, `memo:${kind}:${eventId}`);
  }

  private networkKey(network: string, name: string): string {
    return `${this.options.prefix}{n:${network}}:${name}`;
  }

  /** The memo keys the signal's scripts write, in the order they are used (none for signals applied without a memo). */
  memoKeys(signal: Signal): string[] {
    switch (signal.kind) {
      case 'login-succeeded':
        return [this.memo(signal.userId, 'login', signal.eventId)];
      case 'login-failed':
        return [
          this.memo(signal.userKey, 'fail', signal.eventId),
          ...(signal.network ? [this.networkKey(signal.network, `memo:fail:${signal.eventId}`)] : []),
        ];
      case 'export-completed':
        return [this.memo(signal.userId, 'export', signal.eventId)];
      case 'customers-accessed':
        return [this.memo(signal.userId, 'access', signal.eventId)];
      case 'access-denied':
        return [this.memo(signal.userId, 'denied', signal.eventId)];
      case 'export-requested':
      case 'export-downloaded':
      case 'user-status':
        return [];
      default: {
        const unknown: never = signal;
        throw new Error(`unknown signal ${(unknown as { kind: string }).kind}`);
      }
    }
  }

  /**
   * Shortens the memos of committed events to `committedMemoTtlSeconds`, in one script call. Redis
   * then holds memos for the batches in flight and the last minute, not for every event of the
   * last `memoTtlSeconds`.
   */
  async release(memoKeys: readonly string[]): Promise<void> {
    if (memoKeys.length === 0) return;
    const ttl = Math.min(this.options.committedMemoTtlSeconds, this.options.memoTtlSeconds);
    await this.redis.aaReleaseMemos(memoKeys.length, ...memoKeys, ttl);
  }

  async loginSucceeded(signal: LoginSucceededSignal, settings: RuleSettingsMap): Promise<LoginState> {
    const u = (name: string) => this.user(signal.userId, name);
    const location = signal.location
      ? JSON.stringify({ at: signal.at, location: signal.location, eventId: signal.eventId })
      : '';
    const raw = await this.redis.aaLoginSucceeded(
      this.memoKeys(signal)[0],
      u('meta'),
      u('devices'),
      u('countries'),
      u('networks'),
      u('lastloc'),
      u('hours'),
      u('fails'),
      signal.eventId,
      signal.at,
      signal.deviceId ?? '',
      signal.country ?? '',
      signal.network ?? '',
      location,
      new Date(signal.at).getUTCHours(),
      settings['brute-force'].windowSeconds * 1000,
      this.options.memoTtlSeconds,
    );
    const r = JSON.parse(raw) as {
      priorLogins: number;
      firstLoginAt: number;
      device: number;
      country: number;
      network: number;
      previousLocated: string;
      hours: unknown;
      failures: number;
      failureIds: unknown;
    };
    const hourHistogram = Array.from({ length: 24 }, () => 0);
    const flat = list(r.hours);
    for (let i = 0; i + 1 < flat.length; i += 2) hourHistogram[Number(flat[i])] = Number(flat[i + 1]);
    const known = (v: number): boolean | null => (v < 0 ? null : v === 1);
    return {
      priorLogins: Number(r.priorLogins),
      firstLoginAt: r.firstLoginAt < 0 ? null : Number(r.firstLoginAt),
      deviceSeenBefore: known(r.device),
      countrySeenBefore: known(r.country),
      networkSeenBefore: known(r.network),
      previousLocated: r.previousLocated ? (JSON.parse(r.previousLocated) as LoginState['previousLocated']) : null,
      hourHistogram,
      failuresBefore: { count: Number(r.failures), eventIds: list(r.failureIds) },
    };
  }

  async loginFailed(signal: LoginFailedSignal, settings: RuleSettingsMap): Promise<FailureState> {
    const [userMemo, networkMemo] = this.memoKeys(signal);
    const userRaw = await this.redis.aaLoginFailedUser(
      userMemo,
      this.user(signal.userKey, 'fails'),
      signal.eventId,
      signal.at,
      settings['brute-force'].windowSeconds * 1000,
      KEEP_MS,
      this.options.memoTtlSeconds,
    );
    let spray: WindowCount | null = null;
    if (signal.network) {
      const network = signal.network;
      const n = (name: string) => this.networkKey(network, name);
      const netRaw = await this.redis.aaLoginFailedNetwork(
        networkMemo as string,
        n('users'),
        n('events'),
        signal.eventId,
        signal.at,
        signal.userKey,
        settings['password-spray'].windowSeconds * 1000,
        KEEP_MS,
        this.options.memoTtlSeconds,
      );
      spray = windowCount(JSON.parse(netRaw));
    }
    return { userFailures: windowCount(JSON.parse(userRaw)), spray };
  }

  async exportRequested(signal: ExportRequestedSignal): Promise<void> {
    await this.redis.set(
      `${this.options.prefix}export:${signal.exportId}`,
      JSON.stringify({ network: signal.network, country: signal.country, eventId: signal.eventId }),
      'EX',
      EXPORT_REQUEST_TTL_S,
    );
  }

  async exportCompleted(signal: ExportCompletedSignal, settings: RuleSettingsMap): Promise<ExportCompletedState> {
    const raw = await this.redis.aaExportCompleted(
      this.memoKeys(signal)[0],
      this.user(signal.userId, 'exportrows'),
      this.user(signal.userId, 'departing'),
      signal.eventId,
      signal.at,
      signal.rowCount,
      settings['bulk-export'].windowSeconds * 1000,
      BULK_EXPORT_BASELINE_MS,
      this.options.memoTtlSeconds,
    );
    const r = JSON.parse(raw) as { rowsInWindow: number; rowsBaseline: number; eventIds: unknown; departing: number };
    return {
      rowsInWindow: Number(r.rowsInWindow),
      rowsBaseline: Number(r.rowsBaseline),
      eventIds: list(r.eventIds),
      departing: r.departing === 1,
    };
  }

  async exportDownloaded(signal: ExportDownloadedSignal): Promise<ExportDownloadedState> {
    const raw = await this.redis.get(`${this.options.prefix}export:${signal.exportId}`);
    return { requested: raw ? (JSON.parse(raw) as ExportDownloadedState['requested']) : null };
  }

  async customersAccessed(signal: CustomersAccessedSignal, settings: RuleSettingsMap): Promise<AccessState> {
    const u = (name: string) => this.user(signal.userId, name);
    const day = Math.floor(signal.at / DAY_MS);
    const raw = await this.redis.aaCustomersAccessed(
      this.memoKeys(signal)[0],
      u(`views:${day}`),
      u(`views:${day - 1}`),
      u('viewpeaks'),
      u('accessevents'),
      u('reveals'),
      u('departing'),
      u('anomalousdays'),
      signal.eventId,
      signal.at,
      signal.customers,
      signal.reveals,
      settings['mass-viewing'].windowSeconds * 1000,
      settings['departing-user-activity'].windowSeconds * 1000,
      baselineDaysOf(settings),
      this.options.memoTtlSeconds,
    );
    const r = JSON.parse(raw) as Omit<AccessState, 'eventIds' | 'departing'> & { eventIds: unknown; departing: number };
    return {
      customersInWindow: Number(r.customersInWindow),
      baselinePeak: Number(r.baselinePeak),
      baselineDays: Number(r.baselineDays),
      revealsInWindow: Number(r.revealsInWindow),
      eventIds: list(r.eventIds),
      departing: r.departing === 1,
    };
  }

  /**
   * Keeps a day on which mass viewing fired out of the user's baseline (an attack is not "usual").
   * Marking is idempotent; a (user, day) this process marked already is not sent again, so an alert
   * storm (the rule firing on every read) costs no extra round trip per read. The key's 16 days
   * outlive the 14-day baseline from the day's first mark on. Baselines kept for the following days
   * are dropped, so they are computed again without this day.
   */
  async markAnomalousDay(userId: string, at: number, settings: RuleSettingsMap): Promise<void> {
    const day = Math.floor(at / DAY_MS);
    const marked = `${userId}\u0000${day}`;
    if (this.markedDays.has(marked)) return;
    await this.redis.aaMarkAnomalousDay(
      this.user(userId, 'anomalousdays'),
      this.user(userId, 'viewpeaks'),
      day,
      baselineDaysOf(settings),
    );
    if (this.markedDays.size >= MARKED_DAYS_MAX) this.markedDays.clear();
    this.markedDays.add(marked);
  }

  async accessDenied(signal: AccessDeniedSignal, settings: RuleSettingsMap): Promise<WindowCount> {
    const raw = await this.redis.aaAccessDenied(
      this.memoKeys(signal)[0],
      this.user(signal.userId, 'denials'),
      signal.eventId,
      signal.at,
      settings['access-denied-burst'].windowSeconds * 1000,
      KEEP_MS,
      this.options.memoTtlSeconds,
    );
    return windowCount(JSON.parse(raw));
  }

  async userStatus(signal: UserStatusSignal): Promise<void> {
    const key = this.user(signal.userId, 'departing');
    if (signal.departing) await this.redis.set(key, String(signal.at));
    else await this.redis.del(key);
  }
}
