import { isIP } from 'node:net';

export type ExportGeo = { country: string | null; city: string | null; asn: number | null };

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^0\./];

const plainIp = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

export function isPrivateIp(ip: string): boolean {
  const v4 = plainIp(ip);
  if (isIP(v4) === 4) return PRIVATE_V4.some((re) => re.test(v4));
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

type Lookup = (ip: string) => { country: string; city: string } | null;
let lookup: Lookup | null = null;

/**
 * Country and city of a public IP from geoip-lite's bundled database; null for private, loopback
 * or unknown addresses. The database (tens of MB) is loaded on first use, not at boot, so a
 * generation-only process never holds it.
 */
export async function geoOfIp(ip: string | null): Promise<ExportGeo | null> {
  if (!ip || isIP(plainIp(ip)) === 0 || isPrivateIp(ip)) return null;
  lookup ??= ((await import('geoip-lite')) as { lookup: Lookup }).lookup;
  const found = lookup(plainIp(ip));
  if (!found) return null;
  return { country: found.country || null, city: found.city || null, asn: null };
}
