import type { EventEnvelope } from '@warden/contracts';
import { FIELD_LEVELS, FULLY_MASKED, maskValue, type FieldLevel, type Policy } from '@warden/security';

/**
 * What a reader of the trail may see is decided by the policy, like every field in Warden: the
 * fields of the subject `AuditLog` for the action `view-audit`. Sensitive customer values are
 * already ciphertext or masked in the events themselves; what the trail still holds in clear is
 * personal data of the *employees* it watches — where they connected from and with what:
 *
 * - `ip`: `actor.ip`;
 * - `userAgent`: `actor.userAgent`;
 * - `deviceId`: `actor.deviceId`;
 * - `geo`: `data.geo` (country, city and network of a login) and `actor.geo` (where the request
 *   that caused an event came from).
 *
 * The audit's own `UserActivityCompiled` (its answer to offboarding's `CompileUserActivity`, indexed
 * from `warden.audit.events.v1` like every event) copies a user's logins into `data.summary`: each
 * login's `ip`, `userAgent`, `deviceId` and `geo`, the distinct addresses, devices and countries,
 * and the address of each download are lowered at the same levels (`maskActivitySummary`).
 *
 * With the default roles (libs/security), auditors and security officers read them in clear
 * (their `view-audit` rule lists no fields); an administrator, whom the audit API lets search but
 * whom the policy grants nothing on `AuditLog`, gets `none`: the values are removed. A role or
 * grant can give `masked` (e.g. `{ action: 'view-audit', subject: 'AuditLog', fields: { ip: 'masked' } }`),
 * and a deny rule with `fields` caps them for anyone.
 */
export const AUDIT_MASKED_FIELDS = ['ip', 'userAgent', 'deviceId', 'geo'] as const;
export type AuditMaskedField = (typeof AUDIT_MASKED_FIELDS)[number];
export type TrailFieldLevels = Record<AuditMaskedField, FieldLevel>;

export const ALL_CLEAR: TrailFieldLevels = { ip: 'clear', userAgent: 'clear', deviceId: 'clear', geo: 'clear' };

/** The reader's level of each field of the trail, from their policy. */
export const trailFieldLevels = (policy: Policy): TrailFieldLevels => policy.fieldLevels('view-audit', 'AuditLog', AUDIT_MASKED_FIELDS);

/**
 * An IP address at the `masked` level: the network kept, the host hidden (`198.51.100.7` →
 * `198.51.*.*`, `2001:db8:85a3::8a2e` → `2001:db8:*`); anything else fully masked.
 */
export function maskIp(value: unknown): string {
  if (typeof value !== 'string') return FULLY_MASKED;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(value.trim());
  if (v4) return `${v4[1]}.${v4[2]}.*.*`;
  const groups = value.trim().split(':');
  if (groups.length >= 3 && groups.every((g) => /^[0-9a-fA-F]{0,4}$/.test(g)) && groups[0] && groups[1]) return `${groups[0]}:${groups[1]}:*`;
  return FULLY_MASKED;
}

type Geo = { country?: unknown; city?: unknown; asn?: unknown; asnOrg?: unknown };

/** A login's location at the `masked` level: the country only. */
const maskGeo = (geo: Geo): Geo => ({ country: geo.country ?? null, city: null, ...('asn' in geo ? { asn: null } : {}), ...('asnOrg' in geo ? { asnOrg: null } : {}) });

const at = <T>(level: FieldLevel, value: T | null, mask: (v: T) => unknown): unknown =>
  value === null || value === undefined || level === 'clear' ? value : level === 'masked' ? mask(value) : null;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The lower of two levels (`none` < `masked` < `clear`). */
const lower = (a: FieldLevel, b: FieldLevel): FieldLevel => (FIELD_LEVELS.indexOf(a) <= FIELD_LEVELS.indexOf(b) ? a : b);

const maskUserAgent = (v: unknown) => maskValue('userAgent', v);
const maskDeviceId = (v: unknown) => maskValue('deviceId', v);
const lowerGeo = (level: FieldLevel, geo: unknown): unknown =>
  level === 'clear' || !isObject(geo) ? geo : level === 'masked' ? maskGeo(geo as Geo) : null;

/** A list of values at `level`: each masked, or the list removed (`null`) at `none`. */
const lowerList = (level: FieldLevel, list: unknown, mask: (v: unknown) => unknown): unknown =>
  !Array.isArray(list) || level === 'clear' ? list : level === 'masked' ? list.map(mask) : null;

/** The fields of `item` that are present, each set to `change(value)`; the item's shape is kept. */
const lowerFields = (item: unknown, changes: Record<string, (value: unknown) => unknown>): unknown => {
  if (!isObject(item)) return item;
  const copy: Obj = { ...item };
  for (const [field, change] of Object.entries(changes)) if (field in copy) copy[field] = change(copy[field]);
  return copy;
};

/**
 * The summary of a `UserActivityCompiled` at the reader's levels: `logins.items[*]` `ip`,
 * `userAgent`, `deviceId`, `geo` like the envelope's fields; `logins.distinctIps` at the `ip` level,
 * `logins.distinctDevices` (device ids, else user agents) at the lower of `deviceId` and
 * `userAgent`, `logins.countries` removed at geo `none` (kept at `masked`, which keeps the country);
 * `downloads.items[*].ip` at the `ip` level. Anything not shaped as expected is left as it is.
 */
export function maskActivitySummary(summary: Obj, levels: TrailFieldLevels): Obj {
  const ip = (v: unknown) => at(levels.ip, v, maskIp);
  const login = {
    ip,
    userAgent: (v: unknown) => at(levels.userAgent, v, maskUserAgent),
    deviceId: (v: unknown) => at(levels.deviceId, v, maskDeviceId),
    geo: (v: unknown) => lowerGeo(levels.geo, v),
  };
  const eachItem = (changes: Record<string, (value: unknown) => unknown>) => (items: unknown) =>
    Array.isArray(items) ? items.map((item) => lowerFields(item, changes)) : items;
  return lowerFields(summary, {
    logins: (logins) =>
      lowerFields(logins, {
        items: eachItem(login),
        distinctIps: (list) => lowerList(levels.ip, list, maskIp),
        distinctDevices: (list) => lowerList(lower(levels.deviceId, levels.userAgent), list, maskDeviceId),
        countries: (list) => (levels.geo === 'none' && Array.isArray(list) ? null : list),
      }),
    downloads: (downloads) => lowerFields(downloads, { items: eachItem({ ip }) }),
  }) as Obj;
}

/**
 * The event as this reader may see it. Unchanged (the very object) when every level is `clear`;
 * otherwise a copy with each field at its level (`none`: `null`). A copy no longer matches its
 * `hash`: the page says which fields were lowered, and proofs and verification use the stored event.
 */
export function maskEvent(event: EventEnvelope, levels: TrailFieldLevels): EventEnvelope {
  if (AUDIT_MASKED_FIELDS.every((field) => levels[field] === 'clear')) return event;
  const actor = {
    ...event.actor,
    ip: at(levels.ip, event.actor.ip, maskIp) as string | null,
    userAgent: at(levels.userAgent, event.actor.userAgent, (v) => maskValue('userAgent', v)) as string | null,
    deviceId: at(levels.deviceId, event.actor.deviceId, (v) => maskValue('deviceId', v)) as string | null,
    // Left out when the event has none (older events): the copy keeps the event's shape.
    ...('geo' in event.actor ? { geo: at(levels.geo, event.actor.geo ?? null, (v) => maskGeo(v as Geo)) as typeof event.actor.geo } : {}),
  };
  const geo = (event.data as { geo?: unknown }).geo;
  let data =
    geo && typeof geo === 'object' && levels.geo !== 'clear'
      ? { ...event.data, geo: levels.geo === 'masked' ? maskGeo(geo as Geo) : null }
      : event.data;
  if (event.type === 'UserActivityCompiled' && isObject(data.summary)) data = { ...data, summary: maskActivitySummary(data.summary, levels) };
  return { ...event, actor, data };
}

/** The fields this reader does not see in clear (listed with each page and export). */
export const loweredFields = (levels: TrailFieldLevels): AuditMaskedField[] => AUDIT_MASKED_FIELDS.filter((field) => levels[field] !== 'clear');
