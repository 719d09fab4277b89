import { maskValue } from '@warden/security';
import { createCipheriv, createHash, createHmac, createSecretKey, type Cipheriv, type KeyObject } from 'node:crypto';

/**
 * File fingerprints. Every export gets a key derived from the server's fingerprint key and its id;
 * two marks are woven into its rows with it:
 *
 * - **Decoy rows**: about one row in `decoyEvery` is a made-up customer placed after a keyed choice
 *   of real rows. It copies its neighbour's ordinary columns and gets a synthetic name, company and
 *   contact data; its id is a well-formed UUIDv7 with the neighbour's timestamp whose random bits
 *   carry the export's 32-bit tag, a nonce and a 32-bit MAC under the export key. One decoy found
 *   in a leaked file names the export (a forgery succeeds with probability 2⁻³²).
 * - **Row marks**: in each real row, masked values with the canonical `***` (a masked name, e-mail
 *   or other text) get one star more when a keyed bit of the row's id is 1. A sample of n marked
 *   rows matches a wrong export's bits with probability 2⁻ⁿ.
 *
 * Both survive reordering (nothing depends on position) and trimming (each row carries its mark on
 * its own). No mark is ever made on a value in clear.
 */

export type ExportRow = Record<string, unknown> & { id: string };

/**
 * Each key as a `KeyObject`, made once: an HMAC keyed with raw bytes costs ~20 µs more under
 * Node 24 (its key-type checks throw and catch for a Buffer), and a file gets two per decoy.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();
const keyObjectOf = (key: Buffer): KeyObject => {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = createSecretKey(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
};

const hmac = (key: Buffer, label: string): Buffer => createHmac('sha256', keyObjectOf(key)).update(label).digest();

/** The export's own key (never stored: derived again when tracing). */
export const exportFingerprintKey = (serverKey: Buffer, exportId: string): Buffer => hmac(serverKey, `export:${exportId}`);

/** The export's fingerprint id: `fp-` and 16 hex digits, the first 8 being its decoy tag. */
export const fingerprintIdOf = (serverKey: Buffer, exportId: string): string =>
  `fp-${hmac(serverKey, `fingerprint:${exportId}`).toString('hex').slice(0, 16)}`;

export const tagOfFingerprint = (fingerprintId: string): number => Number.parseInt(fingerprintId.slice(3, 11), 16);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Per-row keyed bits with AES-256 (ECB, one block) under a key derived from the export key: a
 * pseudo-random permutation of the 16-byte id, as unpredictable without the key as an HMAC but
 * far cheaper per row (a new HMAC object costs tens of µs under OpenSSL 3; this cipher is built
 * once per export). Ids that are not UUIDs are hashed to a block first.
 */
const rowCiphers = new WeakMap<Buffer, Cipheriv>();
const rowCipherOf = (exportKey: Buffer): Cipheriv => {
  let cipher = rowCiphers.get(exportKey);
  if (!cipher) {
    cipher = createCipheriv('aes-256-ecb', hmac(exportKey, 'row-bits'), null);
    cipher.setAutoPadding(false);
    rowCiphers.set(exportKey, cipher);
  }
  return cipher;
};
const blockOfId = (id: string): Buffer =>
  UUID.test(id) ? Buffer.from(id.replace(/-/g, ''), 'hex') : createHash('sha256').update(id).digest().subarray(0, 16);

/** The keyed bit of a real row. */
export const rowBit = (exportKey: Buffer, customerId: string): 0 | 1 => (rowCipherOf(exportKey).update(blockOfId(customerId))[0] & 1) as 0 | 1;

/**
 * `rowBit` of each id, with one cipher call for all of them (ECB: each block on its own, so the
 * same bits as one call per id, without a native call and a buffer per row).
 */
export function rowBits(exportKey: Buffer, ids: readonly string[]): Uint8Array {
  const blocks = uuidBlocks(ids) ?? blocksOf(ids);
  const out = rowCipherOf(exportKey).update(blocks);
  const bits = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i += 1) bits[i] = out[i * 16] & 1;
  return bits;
}

const DASH = 0x2d;

/**
 * The blocks of ids that are all UUIDs (as `blockOfId` gives them), from one hex decode of their
 * digits; null when one id is not a UUID (its dashes out of place, or a digit that is not hex:
 * the decode then stops short of the full length).
 */
function uuidBlocks(ids: readonly string[]): Buffer | null {
  let hex = '';
  for (const id of ids) {
    if (id.length !== 36 || id.charCodeAt(8) !== DASH || id.charCodeAt(13) !== DASH || id.charCodeAt(18) !== DASH || id.charCodeAt(23) !== DASH) return null;
    hex += id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  }
  const blocks = Buffer.allocUnsafe(ids.length * 16);
  return blocks.write(hex, 0, 'hex') === blocks.length ? blocks : null;
}

/** The blocks of any ids, one by one (`blockOfId`). */
function blocksOf(ids: readonly string[]): Buffer {
  const blocks = Buffer.allocUnsafe(ids.length * 16);
  for (let i = 0; i < ids.length; i += 1) {
    const id = ids[i];
    if (UUID.test(id)) {
      const at = i * 16;
      blocks.write(id.slice(0, 8), at, 'hex');
      blocks.write(id.slice(9, 13), at + 4, 'hex');
      blocks.write(id.slice(14, 18), at + 6, 'hex');
      blocks.write(id.slice(19, 23), at + 8, 'hex');
      blocks.write(id.slice(24), at + 10, 'hex');
    } else blockOfId(id).copy(blocks, i * 16);
  }
  return blocks;
}

/** Keyed positions of decoys: 32 bits per row from an AES-256-CTR keystream of the export. */
const POSITIONS_PER_BLOCK = 1024;
const TS_BITS = 48n;

const hexOfUuid = (id: string): string => id.replace(/-/g, '').toLowerCase();
const uuidOfHex = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

const decoyMac = (exportKey: Buffer, timestamp: bigint, tag: number, nonce: number): number =>
  hmac(exportKey, `decoy:${timestamp}:${tag}:${nonce}`).readUInt32BE(0);

/** A UUIDv7 with `timestamp` (48 bits) whose 74 random bits are tag (32) | nonce (10) | mac (32). */
export function decoyId(exportKey: Buffer, tag: number, timestamp: bigint, nonce: number): string {
  const mac = decoyMac(exportKey, timestamp, tag, nonce);
  const payload = (BigInt(tag >>> 0) << 42n) | (BigInt(nonce & 0x3ff) << 32n) | BigInt(mac >>> 0);
  const randA = (payload >> 62n) & 0xfffn;
  const randB = payload & ((1n << 62n) - 1n);
  const value = (timestamp << 80n) | (0x7n << 76n) | (randA << 64n) | (0b10n << 62n) | randB;
  return uuidOfHex(value.toString(16).padStart(32, '0'));
}

/** The tag, timestamp and nonce a decoy id claims (not yet verified), or null for other ids. */
export function parseDecoyId(id: string): { tag: number; timestamp: bigint; nonce: number; mac: number } | null {
  if (!UUID.test(id)) return null;
  const value = BigInt(`0x${hexOfUuid(id)}`);
  if (((value >> 76n) & 0xfn) !== 7n || ((value >> 62n) & 0x3n) !== 2n) return null;
  const timestamp = value >> 80n;
  const randA = (value >> 64n) & 0xfffn;
  const randB = value & ((1n << 62n) - 1n);
  const payload = (randA << 62n) | randB;
  return {
    tag: Number(payload >> 42n),
    nonce: Number((payload >> 32n) & 0x3ffn),
    mac: Number(payload & 0xffffffffn),
    timestamp,
  };
}

export const isDecoyOf = (exportKey: Buffer, tag: number, id: string): boolean => {
  const parsed = parseDecoyId(id);
  return parsed !== null && parsed.tag === tag && decoyMac(exportKey, parsed.timestamp, tag, parsed.nonce) === parsed.mac;
};

const FIRST = ['Anna', 'Wei', 'Lukas', 'Mei', 'Omar', 'Sofia', 'Jun', 'Elena', 'Ravi', 'Clara', 'Hiro', 'Nadia', 'Marco', 'Lin', 'Jonas', 'Aylin'];
const LAST = ['Fischer', 'Chen', 'Moreau', 'Wang', 'Haddad', 'Rossi', 'Tanaka', 'Novak', 'Iyer', 'Berg', 'Sato', 'Kaya', 'Conti', 'Zhou', 'Weber', 'Silva'];
const COMPANIES = ['Northwind Ltd', 'Blue Harbor GmbH', 'Kestrel Trading', 'Huaxin Supply', 'Alder & Co', 'Meridian Foods'];
const DOMAINS = ['mail.com', 'outlook.com', 'gmx.net', '163.com', 'proton.me', 'yahoo.com'];

/** Deterministic synthetic values for a decoy, from its keyed seed. */
function syntheticValues(seed: Buffer): Record<string, string> {
  const pick = <T>(list: readonly T[], byte: number): T => list[seed[byte] % list.length];
  const first = pick(FIRST, 0);
  const last = pick(LAST, 1);
  const digits = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => String(seed[(from + i) % seed.length] % 10)).join('');
  return {
    name: `${first} ${last}`,
    company: pick(COMPANIES, 2),
    mobile: `+86 13${digits(3, 1)} ${digits(4, 4)} ${digits(8, 4)}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}${digits(12, 2)}@${pick(DOMAINS, 14)}`,
    nationalId: `1101${digits(15, 2)}19${digits(17, 2)}0${digits(19, 1)}1${digits(20, 1)}${digits(21, 4)}`,
    address: `${digits(25, 2)} ${pick(LAST, 27)} Road, Springfield, ${digits(28, 5)}`,
  };
}

/** A masked value with the canonical `***`, and the same value with one more star. */
const CANONICAL_STARS = /^([^*]?)\*\*\*(?!\*)/u;
const MARKED_STARS = /^([^*]?)\*\*\*\*(?!\*)/u;

const STAR = 0x2a;

/**
 * A masked value with row bit 1 applied (unchanged when the value has no canonical `***`): what
 * `value.replace(CANONICAL_STARS, '$1****')` gives, found without a regular expression (it runs
 * on every masked cell of half the rows).
 */
export function markValue(value: unknown): unknown {
  if (typeof value !== 'string' || value === '***' || value.length < 3) return value;
  // `[^*]?` under the `u` flag: one code point other than `*` (a surrogate pair counts as one).
  let at = 0;
  if (value.charCodeAt(0) !== STAR) {
    const first = value.charCodeAt(0);
    const second = value.charCodeAt(1);
    at = first >= 0xd800 && first <= 0xdbff && second >= 0xdc00 && second <= 0xdfff ? 2 : 1;
  }
  const canonical =
    value.charCodeAt(at) === STAR && value.charCodeAt(at + 1) === STAR && value.charCodeAt(at + 2) === STAR && value.charCodeAt(at + 3) !== STAR;
  return canonical ? `${value.slice(0, at)}****${value.slice(at + 3)}` : value;
}

/** The bit a masked value shows: 0 (canonical `***`), 1 (one star more), or null (no mark). */
export function observedBit(value: unknown): 0 | 1 | null {
  if (typeof value !== 'string' || value === '****' || value === '***') return null;
  if (MARKED_STARS.test(value)) return 1;
  if (CANONICAL_STARS.test(value)) return 0;
  return null;
}

export type FingerprintPlan = {
  exportKey: Buffer;
  fingerprintId: string;
  /** The columns of the file, in order. */
  fields: readonly string[];
  /** Columns holding values in clear (never marked); every other column holds masked values. */
  clearFields: ReadonlySet<string>;
  decoyEvery: number;
};

/**
 * Applies the fingerprint row by row: `next(row)` returns the row (marked) and, after some rows, a
 * decoy; `finish()` returns a last decoy when the file got none. Deterministic for one export.
 */
export class Fingerprinter {
  private index = 0;
  private decoys = 0;
  private last: ExportRow | null = null;
  private readonly tag: number;
  private readonly threshold: number;
  private readonly positionStream: Cipheriv;
  private positions: Buffer = Buffer.alloc(0);
  /** The columns that hold masked values (every one not in clear). */
  private readonly maskedFields: readonly string[];

  constructor(private readonly plan: FingerprintPlan) {
    this.maskedFields = plan.fields.filter((field) => !plan.clearFields.has(field));
    this.tag = tagOfFingerprint(plan.fingerprintId);
    this.threshold = Math.floor(0x1_0000_0000 / Math.max(1, plan.decoyEvery));
    this.positionStream = createCipheriv('aes-256-ctr', hmac(plan.exportKey, 'decoy-positions'), Buffer.alloc(16));
  }

  /** The keyed 32-bit draw of row `index` (rows are numbered in order, so the stream is read in order). */
  private positionOf(index: number): number {
    const at = index % POSITIONS_PER_BLOCK;
    if (at === 0) this.positions = this.positionStream.update(Buffer.alloc(POSITIONS_PER_BLOCK * 4));
    return this.positions.readUInt32BE(at * 4);
  }

  get decoyCount(): number {
    return this.decoys;
  }

  next(row: ExportRow): ExportRow[] {
    const out: ExportRow[] = [];
    this.place(row, rowBit(this.plan.exportKey, row.id), out);
    return out;
  }

  /** `next` of each row in turn, into one array (the row bits computed together). */
  nextBatch(rows: readonly ExportRow[]): ExportRow[] {
    const bits = rowBits(
      this.plan.exportKey,
      rows.map((row) => row.id),
    );
    const out: ExportRow[] = [];
    for (let i = 0; i < rows.length; i += 1) this.place(rows[i], bits[i] as 0 | 1, out);
    return out;
  }

  /** Appends the row (marked per its bit) to `out`, and a decoy after it when its position draws one. */
  private place(row: ExportRow, bit: 0 | 1, out: ExportRow[]): void {
    out.push(bit === 0 ? row : this.marked(row));
    this.last = row;
    const position = this.positionOf(this.index);
    this.index += 1;
    if (position < this.threshold) out.push(this.decoy(row));
  }

  finish(): ExportRow[] {
    if (this.decoys > 0) return [];
    return [this.decoy(this.last ?? { id: '00000000-0000-7000-8000-000000000000' })];
  }

  private mark(row: ExportRow): ExportRow {
    return rowBit(this.plan.exportKey, row.id) === 0 ? row : this.marked(row);
  }

  /** A copy of the row with bit 1 applied to its masked values. */
  private marked(row: ExportRow): ExportRow {
    const out: ExportRow = { ...row };
    for (const field of this.maskedFields) {
      if (field in out) out[field] = markValue(out[field]);
    }
    return out;
  }

  private decoy(neighbour: ExportRow): ExportRow {
    const n = this.decoys;
    this.decoys += 1;
    const seed = hmac(this.plan.exportKey, `decoy-values:${n}`);
    const parsed = UUID.test(neighbour.id) ? BigInt(`0x${hexOfUuid(neighbour.id)}`) >> 80n : 0n;
    // Near the neighbour in time, a few milliseconds on, as consecutive registrations are.
    const timestamp = (parsed + BigInt(seed.readUInt16BE(30) % 997) + 1n) & ((1n << TS_BITS) - 1n);
    const synthetic = syntheticValues(seed);
    const row: ExportRow = { ...neighbour, id: decoyId(this.plan.exportKey, this.tag, timestamp, n & 0x3ff) };
    for (const [field, value] of Object.entries(synthetic)) {
      if (!(field in neighbour) || neighbour[field] === null || neighbour[field] === undefined) continue;
      row[field] = this.plan.clearFields.has(field) ? value : maskValue(field, value);
    }
    return this.mark(row);
  }
}

/** An export that might have produced a leaked file. */
export type TraceCandidate = { exportId: string; fingerprintId: string; exportKey: Buffer };

export type TraceMatch = {
  exportId: string;
  /** 0..1: how sure the match is (1 − the chance that a file of another export shows as much). */
  confidence: number;
  decoyRows: number;
  markedRows: number;
  matchingMarks: number;
};

/** Below this confidence a trace names no export. */
export const MIN_CONFIDENCE = 0.99;

/** Marked rows scored per trace: enough for any confidence, and 2⁻ⁿ stays a normal double. */
const MAX_MARKED_ROWS = 1000;

/** P(X ≥ k) for X ~ Binomial(n, 1/2), n ≤ 1000. */
export function binomialTail(n: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let term = 2 ** -n; // C(n, 0) / 2^n
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, sum);
}

/**
 * Which export a set of rows comes from. Decoys are conclusive; otherwise the row marks are scored
 * against every candidate and the confidence is corrected for the number of candidates tried.
 * Returns the best match, or null when none reaches `MIN_CONFIDENCE`.
 */
export function traceRows(rows: readonly Record<string, unknown>[], candidates: readonly TraceCandidate[]): TraceMatch | null {
  const byTag = new Map<number, TraceCandidate[]>();
  for (const candidate of candidates) {
    const tag = tagOfFingerprint(candidate.fingerprintId);
    byTag.set(tag, [...(byTag.get(tag) ?? []), candidate]);
  }
  const decoys = new Map<string, number>();
  const observed: Array<{ id: string; bit: 0 | 1 }> = [];
  for (const row of rows) {
    const id = typeof row.id === 'string' ? row.id.trim() : '';
    if (!UUID.test(id)) continue;
    const parsed = parseDecoyId(id);
    const owners = parsed ? (byTag.get(parsed.tag) ?? []).filter((c) => isDecoyOf(c.exportKey, parsed.tag, id)) : [];
    if (owners.length > 0) {
      for (const owner of owners) decoys.set(owner.exportId, (decoys.get(owner.exportId) ?? 0) + 1);
      continue;
    }
    const bits = Object.entries(row)
      .filter(([field]) => field !== 'id')
      .map(([, value]) => observedBit(value))
      .filter((bit): bit is 0 | 1 => bit !== null);
    if (bits.length === 0 || observed.length >= MAX_MARKED_ROWS) continue;
    const ones = bits.filter((bit) => bit === 1).length;
    observed.push({ id, bit: ones * 2 >= bits.length ? 1 : 0 });
  }
  let best: TraceMatch | null = null;
  for (const candidate of candidates) {
    const decoyRows = decoys.get(candidate.exportId) ?? 0;
    const matchingMarks = observed.filter((o) => rowBit(candidate.exportKey, o.id) === o.bit).length;
    const chance =
      decoyRows > 0 ? 2 ** (-32 * decoyRows) : Math.min(1, binomialTail(observed.length, matchingMarks) * candidates.length);
    const match: TraceMatch = {
      exportId: candidate.exportId,
      confidence: Math.max(0, 1 - chance),
      decoyRows,
      markedRows: observed.length,
      matchingMarks,
    };
    if (!best || match.confidence > best.confidence || (match.confidence === best.confidence && decoyRows > best.decoyRows)) {
      best = match;
    }
  }
  return best && best.confidence >= MIN_CONFIDENCE ? best : null;
}
