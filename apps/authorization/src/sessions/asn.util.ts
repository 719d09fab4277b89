import { isIP } from 'node:net';

/** The autonomous system an address is announced from (RouteViews / RIR / DB-IP data). */
export type AsnRecord = { asn: number; asnOrg: string };

/** `a.b.c.d` as an unsigned 32-bit number, or null. */
export function ipv4ToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

const MASK_64 = (1n << 64n) - 1n;

/** An IPv6 address (`::` compression, embedded IPv4, zone id ignored) as its high and low 64 bits, or null. */
export function ipv6ToBigInts(ip: string): [bigint, bigint] | null {
  let text = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (text.includes('.', lastColon)) {
    const v4 = ipv4ToNumber(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  const groups = halves.length === 2 ? [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const value = BigInt(`0x${groups.map((g) => g.padStart(4, '0')).join('')}`);
  return [value >> 64n, value & MASK_64];
}

/**
 * A copy of `text` that does not keep the file it was cut from alive (V8 represents substrings
 * of 13+ characters as slices of their parent string: 75 000 organisation names would otherwise
 * pin the whole 21 MB CSV in memory).
 */
const detached = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/** The 4th CSV field: `Org`, or `"Org, Inc."` with `""` for a quote. */
const unquote = (field: string): string => (field.startsWith('"') && field.endsWith('"') && field.length >= 2 ? field.slice(1, -1).replaceAll('""', '"') : field);

type Row = { start: string; end: string; asn: number; org: string };

/** Each data line of `start,end,asn,org` (org possibly quoted with commas inside), without splitting the file into an array. */
function* rows(csv: string): Generator<Row> {
  let at = 0;
  while (at < csv.length) {
    let eol = csv.indexOf('\n', at);
    if (eol < 0) eol = csv.length;
    const line = csv.charCodeAt(eol - 1) === 13 ? csv.slice(at, eol - 1) : csv.slice(at, eol);
    at = eol + 1;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    const c3 = line.indexOf(',', c2 + 1);
    if (c1 < 0 || c2 < 0 || c3 < 0) continue;
    const asn = Number(line.slice(c2 + 1, c3));
    if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) continue;
    yield { start: line.slice(0, c1), end: line.slice(c1 + 1, c2), asn, org: unquote(line.slice(c3 + 1)) };
  }
}

const countLines = (csv: string): number => {
  let count = 1;
  for (let at = csv.indexOf('\n'); at >= 0; at = csv.indexOf('\n', at + 1)) count++;
  return count;
};

/** Organisation names, each stored once; rows refer to them by index. */
class OrgNames {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  idOf(name: string): number {
    let id = this.index.get(name);
    if (id === undefined) {
      const copy = detached(name);
      id = this.names.length;
      this.names.push(copy);
      this.index.set(copy, id);
    }
    return id;
  }
}

/**
 * IP → ASN over two sorted, compact tables: IPv4 ranges as Uint32Arrays (start, end, asn, org
 * index), IPv6 ranges as BigUint64Arrays (high and low 64 bits of start and end), organisation
 * names deduplicated. A lookup is a binary search for the last range starting at or below the
 * address. About 10 MB for the 515 000 ranges of `@ip-location-db/asn`, no per-row object.
 */
export class AsnTable {
  private constructor(
    private readonly v4: { start: Uint32Array; end: Uint32Array; asn: Uint32Array; org: Uint32Array },
    private readonly v6: { startHi: BigUint64Array; startLo: BigUint64Array; endHi: BigUint64Array; endLo: BigUint64Array; asn: Uint32Array; org: Uint32Array },
    private readonly orgs: readonly string[],
  ) {}

  /**
   * `ipv4Csv`: `start,end,asn,org` with integer addresses (asn-ipv4-num.csv); `ipv6Csv`: the same with
   * textual IPv6 addresses (asn-ipv6.csv). Both sorted by start, as the package ships them
   * (checked: an unsorted file is refused rather than searched wrongly).
   */
  static fromCsv(ipv4Csv: string, ipv6Csv: string): AsnTable {
    const orgs = new OrgNames();
    const v4Capacity = countLines(ipv4Csv);
    const v4 = { start: new Uint32Array(v4Capacity), end: new Uint32Array(v4Capacity), asn: new Uint32Array(v4Capacity), org: new Uint32Array(v4Capacity) };
    let n4 = 0;
    for (const row of rows(ipv4Csv)) {
      const start = Number(row.start);
      const end = Number(row.end);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 0xffffffff || end < start) continue;
      if (n4 > 0 && start < v4.start[n4 - 1]) throw new Error('the IPv4 ASN table is not sorted by range start');
      v4.start[n4] = start;
      v4.end[n4] = end;
      v4.asn[n4] = row.asn;
      v4.org[n4] = orgs.idOf(row.org);
      n4++;
    }
    const v6Capacity = countLines(ipv6Csv);
    const v6 = {
      startHi: new BigUint64Array(v6Capacity),
      startLo: new BigUint64Array(v6Capacity),
      endHi: new BigUint64Array(v6Capacity),
      endLo: new BigUint64Array(v6Capacity),
      asn: new Uint32Array(v6Capacity),
      org: new Uint32Array(v6Capacity),
    };
    let n6 = 0;
    for (const row of rows(ipv6Csv)) {
      const start = ipv6ToBigInts(row.start);
      const end = ipv6ToBigInts(row.end);
      if (!start || !end) continue;
      if (n6 > 0 && compare(start[0], start[1], v6.startHi[n6 - 1], v6.startLo[n6 - 1]) < 0) {
        throw new Error('the IPv6 ASN table is not sorted by range start');
      }
      [v6.startHi[n6], v6.startLo[n6]] = start;
      [v6.endHi[n6], v6.endLo[n6]] = end;
      v6.asn[n6] = row.asn;
      v6.org[n6] = orgs.idOf(row.org);
      n6++;
    }
    return new AsnTable(
      { start: v4.start.slice(0, n4), end: v4.end.slice(0, n4), asn: v4.asn.slice(0, n4), org: v4.org.slice(0, n4) },
      {
        startHi: v6.startHi.slice(0, n6),
        startLo: v6.startLo.slice(0, n6),
        endHi: v6.endHi.slice(0, n6),
        endLo: v6.endLo.slice(0, n6),
        asn: v6.asn.slice(0, n6),
        org: v6.org.slice(0, n6),
      },
      orgs.names,
    );
  }

  get size(): { ipv4: number; ipv6: number; organisations: number } {
    return { ipv4: this.v4.start.length, ipv6: this.v6.asn.length, organisations: this.orgs.length };
  }

  /** The AS of a public address; null for an unknown one, a malformed one, or one in no range. */
  lookup(ip: string): AsnRecord | null {
    const mapped = ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    switch (isIP(mapped)) {
      case 4: {
        const value = ipv4ToNumber(mapped);
        return value === null ? null : this.lookupV4(value);
      }
      case 6: {
        const value = ipv6ToBigInts(mapped);
        return value === null ? null : this.lookupV6(value[0], value[1]);
      }
      default:
        return null;
    }
  }

  private lookupV4(value: number): AsnRecord | null {
    const { start, end, asn, org } = this.v4;
    let lo = 0;
    let hi = start.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (start[mid] <= value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || end[found] < value) return null;
    return this.record(asn[found], org[found]);
  }

  private lookupV6(high: bigint, low: bigint): AsnRecord | null {
    const { startHi, startLo, endHi, endLo, asn, org } = this.v6;
    let lo = 0;
    let hi = asn.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(startHi[mid], startLo[mid], high, low) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || compare(endHi[found], endLo[found], high, low) < 0) return null;
    return this.record(asn[found], org[found]);
  }

  /** AS 0 means "not announced" (RFC 7607): no AS to report. */
  private record(asn: number, org: number): AsnRecord | null {
    return asn === 0 ? null : { asn, asnOrg: this.orgs[org] };
  }
}

function compare(aHi: bigint, aLo: bigint, bHi: bigint, bLo: bigint): number {
  if (aHi !== bHi) return aHi < bHi ? -1 : 1;
  if (aLo !== bLo) return aLo < bLo ? -1 : 1;
  return 0;
}
