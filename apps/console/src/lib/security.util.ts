import type { TrailItem } from '../api/audit.api';

const pad = (n: number) => String(n).padStart(2, '0');
const dayKey = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

/** One row of the login locations table: a user at a place. */
export type LoginLocation = {
  userId: string;
  country: string | null;
  city: string | null;
  network: string | null;
  ips: string[];
  logins: number;
  mfa: number;
  firstAt: string;
  lastAt: string;
};

/**
 * Where people signed in from, from `LoginSucceeded` events of the trail (the place the
 * authorization service resolved, the address of the actor): one row per user and place, the most
 * recent first. Logins without a place are grouped as an unknown place with their addresses.
 */
export function loginLocations(items: readonly TrailItem[]): LoginLocation[] {
  const rows = new Map<string, LoginLocation>();
  for (const { event } of items) {
    if (event.type !== 'LoginSucceeded') continue;
    const data = record(event.data);
    const geo = record(data.geo);
    const userId = text(data.userId) ?? event.actor.userId;
    const country = text(geo.country);
    const city = text(geo.city);
    const asn = typeof geo.asn === 'number' ? `AS${geo.asn}` : null;
    const network = [asn, text(geo.asnOrg)].filter(Boolean).join(' ') || null;
    const key = `${userId}|${country ?? ''}|${city ?? ''}`;
    const row = rows.get(key) ?? {
      userId,
      country,
      city,
      network,
      ips: [],
      logins: 0,
      mfa: 0,
      firstAt: event.occurredAt,
      lastAt: event.occurredAt,
    };
    row.logins += 1;
    if (data.mfa === true) row.mfa += 1;
    const ip = text(event.actor.ip);
    if (ip && !row.ips.includes(ip)) row.ips.push(ip);
    if (event.occurredAt < row.firstAt) row.firstAt = event.occurredAt;
    if (event.occurredAt > row.lastAt) {
      row.lastAt = event.occurredAt;
      row.network = network ?? row.network;
    }
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0));
}

/** Sign-in failures and successes per hour (local time) for the `hours` hours up to `now`, oldest first. */
export function loginsPerHour(
  items: readonly TrailItem[],
  now: Date,
  hours = 24,
): Array<{ hour: string; failures: number; successes: number }> {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() - (hours - 1));
  const out = Array.from({ length: hours }, (_, i) => {
    const at = new Date(start.getTime() + i * 3_600_000);
    return { hour: `${pad(at.getHours())}:00`, failures: 0, successes: 0, at: at.getTime() };
  });
  const end = start.getTime() + hours * 3_600_000;
  for (const { event } of items) {
    const ms = new Date(event.occurredAt).getTime();
    if (Number.isNaN(ms) || ms < start.getTime() || ms >= end) continue;
    const slot = out[Math.floor((ms - start.getTime()) / 3_600_000)];
    if (event.type === 'LoginFailed') slot.failures += 1;
    else if (event.type === 'LoginSucceeded') slot.successes += 1;
  }
  return out.map(({ hour, failures, successes }) => ({ hour, failures, successes }));
}

/**
 * Rows exported per day (local dates) from the `ExportCompleted` events of the trail, for the `days`
 * days up to `now`, oldest first; also how many exports finished each day.
 */
export function exportRowsPerDay(
  items: readonly TrailItem[],
  now: Date,
  days = 14,
): Array<{ day: string; rows: number; exports: number }> {
  const out: Array<{ day: string; rows: number; exports: number }> = [];
  for (let i = days - 1; i >= 0; i--) {
    out.push({
      day: dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() - i)),
      rows: 0,
      exports: 0,
    });
  }
  const index = new Map(out.map((row, i) => [row.day, i]));
  for (const { event } of items) {
    if (event.type !== 'ExportCompleted') continue;
    const date = new Date(event.occurredAt);
    if (Number.isNaN(date.getTime())) continue;
    const i = index.get(dayKey(date));
    if (i === undefined) continue;
    const rows = record(event.data).rowCount;
    out[i].rows += typeof rows === 'number' && rows > 0 ? rows : 0;
    out[i].exports += 1;
  }
  return out;
}

/** A departing user of the watch list, as derived from the trail. */
export type DepartingUser = { userId: string; since: string; effectiveAt: string | null };

/** The audit event types the departing watch list is derived from. */
export const DEPARTING_EVENT_TYPES = ['UserMarkedDeparting', 'UserStatusChanged', 'UserFrozen', 'UserDepartureCancelled'] as const;

/**
 * Who is departing now, replaying the trail's user status events oldest first: `UserMarkedDeparting`
 * and a change *to* `departing` put a user on the list; a change away from it (back to active,
 * disabled, offboarded), a freeze or a cancelled departure takes them off. For the roles other than admin:
 * auditors may not read the directory (`GET /v1/users` is open to admins, HR and security officers), and
 * the trail also tells when a departure takes effect.
 */
export function departingFromTrail(items: readonly TrailItem[]): DepartingUser[] {
  const sorted = [...items].sort((a, b) =>
    a.event.occurredAt === b.event.occurredAt
      ? a.position - b.position
      : a.event.occurredAt < b.event.occurredAt
        ? -1
        : 1,
  );
  const current = new Map<string, DepartingUser>();
  for (const { event } of sorted) {
    const data = record(event.data);
    const userId = text(data.userId);
    if (!userId) continue;
    if (event.type === 'UserMarkedDeparting') {
      const before = current.get(userId);
      current.set(userId, {
        userId,
        since: before?.since ?? event.occurredAt,
        effectiveAt: text(data.effectiveAt),
      });
    } else if (event.type === 'UserStatusChanged') {
      if (data.to === 'departing') {
        if (!current.has(userId)) current.set(userId, { userId, since: event.occurredAt, effectiveAt: null });
      } else current.delete(userId);
    } else if (event.type === 'UserFrozen' || event.type === 'UserDepartureCancelled') current.delete(userId);
  }
  return [...current.values()].sort((a, b) =>
    (a.effectiveAt ?? '9999') < (b.effectiveAt ?? '9999') ? -1 : 1,
  );
}
