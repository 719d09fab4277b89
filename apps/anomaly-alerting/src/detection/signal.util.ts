import type { EventEnvelope } from '@warden/contracts';
import { isIP } from 'node:net';
import type { GeoPoint, Signal } from './signal.types';

/** Where an address is, as far as the offline GeoIP database knows; null for private or unknown ones. */
export type Locate = (ip: string) => { country: string | null; point: GeoPoint | null } | null;

const unmapped = (ip: string): string => (ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);

/** Expands an IPv6 address to its 8 groups. */
function ipv6Groups(ip: string): string[] {
  const [head, tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...fill, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}

/**
 * The network an address belongs to: its /24 for IPv4, its /48 for IPv6. It stands in for the
 * autonomous system (ASN) until a GeoIP ASN database is available offline.
 */
export function networkOf(ip: string | null): string | null {
  if (!ip) return null;
  const address = unmapped(ip);
  const version = isIP(address);
  if (version === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (version === 6) return `${ipv6Groups(address).slice(0, 3).join(':')}::/48`;
  return null;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const geoCountry = (value: unknown): string | null =>
  value && typeof value === 'object' ? str((value as { country?: unknown }).country) : null;

/** `AS<number>` when the event's GeoIP carries an ASN (authorization adds it from an offline database), else null. */
export const asnOf = (value: unknown): string | null => {
  const asn = value && typeof value === 'object' ? (value as { asn?: unknown }).asn : null;
  return typeof asn === 'number' && Number.isInteger(asn) && asn > 0 ? `AS${asn}` : null;
};

/**
 * What the detector needs from a consumed event, or null for events no rule looks at. The event
 * was validated against its contract before (EventConsumer); fields are still read defensively
 * because event types another service adds later arrive unvalidated (`allowUnknownTypes`).
 */
export function signalOf(event: EventEnvelope, locate: Locate): Signal | null {
  const d = event.data;
  const base = { eventId: event.eventId, at: Date.parse(event.occurredAt) };
  const where = (ip: string | null) => (ip ? locate(unmapped(ip)) : null);
  switch (event.type) {
    case 'LoginSucceeded': {
      const userId = str(d['userId']);
      if (!userId) return null;
      const ip = event.actor.ip;
      const located = where(ip);
      return {
        ...base,
        kind: 'login-succeeded',
        userId,
        ip,
        // The autonomous system when the login names one; the address prefix otherwise.
        network: asnOf(d['geo']) ?? networkOf(ip),
        deviceId: event.actor.deviceId,
        country: geoCountry(d['geo']) ?? located?.country ?? null,
        location: located?.point ?? null,
      };
    }
    case 'LoginFailed': {
      const userId = str(d['userId']);
      const nameHash = str(d['usernameHash']);
      if (!userId && !nameHash) return null;
      return {
        ...base,
        kind: 'login-failed',
        userId,
        userKey: userId ?? `name:${nameHash}`,
        network: networkOf(event.actor.ip),
      };
    }
    case 'ExportRequested': {
      const userId = str(d['requesterId']);
      const exportId = str(d['exportId']);
      if (!userId || !exportId) return null;
      const ip = event.actor.ip;
      return {
        ...base,
        kind: 'export-requested',
        userId,
        exportId,
        network: networkOf(ip),
        country: geoCountry(d['geo']) ?? where(ip)?.country ?? null,
      };
    }
    case 'ExportCompleted': {
      const userId = str(d['requesterId']);
      const exportId = str(d['exportId']);
      if (!userId || !exportId) return null;
      const clearFields = Array.isArray(d['clearFields']) ? d['clearFields'].filter((f): f is string => typeof f === 'string') : [];
      return { ...base, kind: 'export-completed', userId, exportId, rowCount: num(d['rowCount']), clearFields };
    }
    case 'ExportDownloaded': {
      const userId = str(d['requesterId']);
      const exportId = str(d['exportId']);
      if (!userId || !exportId) return null;
      const ip = str(d['ip']) ?? event.actor.ip;
      return {
        ...base,
        kind: 'export-downloaded',
        userId,
        exportId,
        network: networkOf(ip),
        country: geoCountry(d['geo']) ?? where(ip)?.country ?? null,
      };
    }
    case 'CustomerViewed':
    case 'CustomersListed':
    case 'CustomersSearched':
    case 'SensitiveFieldRevealed': {
      const userId = str(d['readerId']);
      if (!userId) return null;
      const customers =
        event.type === 'CustomerViewed' ? 1 : event.type === 'SensitiveFieldRevealed' ? 0 : num(d['resultCount']);
      return {
        ...base,
        kind: 'customers-accessed',
        userId,
        customers,
        reveals: event.type === 'SensitiveFieldRevealed' ? 1 : 0,
      };
    }
    case 'AccessDenied': {
      const userId = str(d['userId']);
      return userId ? { ...base, kind: 'access-denied', userId } : null;
    }
    case 'UserStatusChanged': {
      const userId = str(d['userId']);
      return userId ? { ...base, kind: 'user-status', userId, departing: d['to'] === 'departing' } : null;
    }
    case 'UserMarkedDeparting': {
      const userId = str(d['userId']);
      return userId ? { ...base, kind: 'user-status', userId, departing: true } : null;
    }
    case 'UserDepartureCancelled': {
      const userId = str(d['userId']);
      return userId ? { ...base, kind: 'user-status', userId, departing: false } : null;
    }
    default:
      return null;
  }
}
