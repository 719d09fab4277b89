import type { EventEnvelope } from '@warden/contracts';
import { FULLY_MASKED, maskValue, type FieldLevel, type Policy } from '@warden/security';

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
  const data =
    geo && typeof geo === 'object' && levels.geo !== 'clear'
      ? { ...event.data, geo: levels.geo === 'masked' ? maskGeo(geo as Geo) : null }
      : event.data;
  return { ...event, actor, data };
}

/** The fields this reader does not see in clear (listed with each page and export). */
export const loweredFields = (levels: TrailFieldLevels): AuditMaskedField[] => AUDIT_MASKED_FIELDS.filter((field) => levels[field] !== 'clear');
