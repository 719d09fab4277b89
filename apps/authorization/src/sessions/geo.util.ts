import type { ActorGeo } from '@warden/contracts';
import { isIP } from 'node:net';
import type { AsnRecord } from './asn.util';

/** Where an address is: country and city (geoip-lite), and the autonomous system it belongs to. */
export type Geo = { country: string | null; city: string | null; asn: number | null; asnOrg: string | null };

type Lookup = (ip: string) => { country: string; city: string } | null;
type AsnLookup = (ip: string) => AsnRecord | null;

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^0\./];

/** Loopback, private, link-local and unique-local addresses have no place on a map. */
export function isPrivateIp(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) return PRIVATE_V4.some((re) => re.test(v4));
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/**
 * Country and city (geoip-lite's bundled database) and AS number and organisation (the ASN table)
 * of a public IP; null for private or malformed ones, or when neither database knows it.
 */
export function geoOf(ip: string | null, lookup: Lookup, asnLookup: AsnLookup = () => null): Geo | null {
  const address = ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (!ip || !address || isIP(address) === 0 || isPrivateIp(ip)) return null;
  const found = lookup(address);
  const asn = asnLookup(address);
  if (!found && !asn) return null;
  return { country: found?.country || null, city: found?.city || null, asn: asn?.asn ?? null, asnOrg: asn?.asnOrg ?? null };
}

/**
 * The `geo` of an event's actor (the envelope's `actorGeoSchema`): the lookup's answer, bounded to
 * the contract (a country that is not a two-letter code is left out rather than refusing the event).
 */
export function actorGeoOf(geo: Geo | null): ActorGeo | null {
  if (!geo) return null;
  return {
    country: geo.country && /^[A-Z]{2}$/.test(geo.country) ? geo.country : null,
    city: geo.city ? geo.city.slice(0, 200) : null,
    asn: geo.asn,
    asnOrg: geo.asnOrg ? geo.asnOrg.slice(0, 300) : null,
  };
}
