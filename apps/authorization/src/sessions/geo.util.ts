import { isIP } from 'node:net';

export type Geo = { country: string | null; city: string | null };

type Lookup = (ip: string) => { country: string; city: string } | null;

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^0\./];

/** Loopback, private, link-local and unique-local addresses have no place on a map. */
export function isPrivateIp(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) return PRIVATE_V4.some((re) => re.test(v4));
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/** Country and city of a public IP (geoip-lite's bundled database); null for private or unknown ones. */
export function geoOf(ip: string | null, lookup: Lookup): Geo | null {
  if (!ip || isIP(ip.startsWith('::ffff:') ? ip.slice(7) : ip) === 0 || isPrivateIp(ip)) return null;
  const found = lookup(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (!found) return null;
  return { country: found.country || null, city: found.city || null };
}
