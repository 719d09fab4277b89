import { maskEmail, maskMobile, maskName } from '@warden/security';
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  binomialTail,
  decoyId,
  exportFingerprintKey,
  fingerprintIdOf,
  Fingerprinter,
  isDecoyOf,
  markValue,
  observedBit,
  rowBit,
  rowBits,
  tagOfFingerprint,
  traceRows,
  type ExportRow,
  type TraceCandidate,
} from './fingerprint.util';

const serverKey = randomBytes(32);
const FIELDS = ['name', 'company', 'mobile', 'email'];

/** Rows as customer-records sends them for a staff requester: name clear, mobile and email masked. */
function realRows(count: number): ExportRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    name: `Customer Number${i}`,
    company: i % 3 === 0 ? null : `Company ${i}`,
    mobile: maskMobile(`+86 138 ${String(1000_0000 + i)}`),
    email: maskEmail(`person${i}@example.org`),
  }));
}

function fingerprinted(exportId: string, rows: ExportRow[], clear: string[] = ['name', 'company']): ExportRow[] {
  const fp = new Fingerprinter({
    exportKey: exportFingerprintKey(serverKey, exportId),
    fingerprintId: fingerprintIdOf(serverKey, exportId),
    fields: FIELDS,
    clearFields: new Set(clear),
    decoyEvery: 100,
  });
  return [...rows.flatMap((row) => fp.next(row)), ...fp.finish()];
}

const candidate = (exportId: string): TraceCandidate => ({
  exportId,
  fingerprintId: fingerprintIdOf(serverKey, exportId),
  exportKey: exportFingerprintKey(serverKey, exportId),
});

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32BE(0) % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe('Fingerprint', () => {
  const exportA = uuidv7();
  const exportB = uuidv7();
  const exportC = uuidv7();
  const rows = realRows(3000);
  const fileA = fingerprinted(exportA, rows);
  const fileB = fingerprinted(exportB, rows);
  const candidates = [candidate(exportA), candidate(exportB), candidate(exportC)];

  it('gives the same file whether rows are fingerprinted one by one or in batches of any size (ids of any shape)', () => {
    const mixed = [...rows.slice(0, 500), { id: 'not-a-uuid', name: 'X', company: null, mobile: '138****0001', email: 'p***@example.org' }, { id: rows[0].id.toUpperCase(), name: 'Y', company: null, mobile: '138****0002', email: 'q***@example.org' }];
    const plan = () =>
      new Fingerprinter({
        exportKey: exportFingerprintKey(serverKey, exportA),
        fingerprintId: fingerprintIdOf(serverKey, exportA),
        fields: FIELDS,
        clearFields: new Set(['name', 'company']),
        decoyEvery: 100,
      });
    const one = plan();
    const expected = [...mixed.flatMap((row) => one.next(row)), ...one.finish()];
    for (const size of [1, 7, 100, mixed.length]) {
      const batched = plan();
      const out: ExportRow[] = [];
      for (let i = 0; i < mixed.length; i += size) out.push(...batched.nextBatch(mixed.slice(i, i + size)));
      expect([...out, ...batched.finish()]).toEqual(expected);
    }
    expect(expected.some((row, i) => row !== mixed[i])).toBe(true);
  });

  it('derives the keys and decoy ids as HMAC-SHA-256 keyed with the raw key bytes', () => {
    const exportKey = exportFingerprintKey(serverKey, exportA);
    expect(exportKey).toEqual(createHmac('sha256', serverKey).update(`export:${exportA}`).digest());
    const id = decoyId(exportKey, 0x12345678, 0x0193_0000_0000n, 7);
    const mac = createHmac('sha256', exportKey).update(`decoy:${0x0193_0000_0000n}:${0x12345678}:7`).digest().readUInt32BE(0);
    expect(id.replace(/-/g, '').slice(-8)).toBe(mac.toString(16).padStart(8, '0'));
  });

  it('gives each id the bit of its own, whether the ids of a batch are all UUIDs or not', () => {
    const exportKey = exportFingerprintKey(serverKey, exportA);
    const uuids = rows.slice(0, 300).map((row) => row.id);
    const odd = ['not-a-uuid', 'zzzzzzzz-0000-7000-8000-000000000000', uuids[0].toUpperCase(), '', `${uuids[1]} `, uuids[2].replace(/-/g, '_')];
    for (const ids of [uuids, [...uuids.slice(0, 10), ...odd], odd, [uuids[0].toUpperCase(), uuids[1]]]) {
      expect([...rowBits(exportKey, ids)]).toEqual(ids.map((id) => rowBit(exportKey, id)));
    }
  });

  it('marks a masked value as the canonical-stars pattern says, one star more', () => {
    const byPattern = (value: string) => (value === '***' ? value : value.replace(/^([^*]?)\*\*\*(?!\*)/u, '$1****'));
    const masked = fc.string({ unit: fc.constantFrom('*', '*', '*', 'a', '张', '\u{1F600}', '\uD800', '\uDC00', '@', ' ') });
    fc.assert(
      fc.property(fc.oneof(masked, fc.string({ unit: 'grapheme' })), (value) => {
        expect(markValue(value)).toBe(byPattern(value));
      }),
      { numRuns: 5000 },
    );
    expect(markValue('J*** Smith')).toBe('J**** Smith');
    expect(markValue('***@example.com')).toBe('****@example.com');
    expect(markValue('\u{1F600}*** x')).toBe('\u{1F600}**** x');
    expect(markValue('138****8000')).toBe('138****8000');
    expect(markValue(42)).toBe(42);
  });

  it('adds about one decoy per 100 rows, each a valid UUIDv7 near its neighbour', () => {
    const decoys = fileA.filter((row) => !rows.some((real) => real.id === row.id));
    expect(decoys.length).toBeGreaterThan(10);
    expect(decoys.length).toBeLessThan(60);
    for (const decoy of decoys) {
      expect(decoy.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(isDecoyOf(exportFingerprintKey(serverKey, exportA), tagOfFingerprint(fingerprintIdOf(serverKey, exportA)), decoy.id)).toBe(true);
      expect(isDecoyOf(exportFingerprintKey(serverKey, exportB), tagOfFingerprint(fingerprintIdOf(serverKey, exportB)), decoy.id)).toBe(false);
    }
  });

  it('never changes a value in clear, and marks masked values by at most one star', () => {
    const byId = new Map(fileA.map((row) => [row.id, row]));
    let marked = 0;
    for (const real of rows) {
      const out = byId.get(real.id) as ExportRow;
      expect(out.name).toBe(real.name);
      expect(out.company).toBe(real.company);
      expect(out.mobile).toBe(real.mobile);
      if (out.email !== real.email) {
        marked += 1;
        expect(out.email).toBe((real.email as string).replace('***', '****'));
      }
    }
    expect(marked).toBeGreaterThan(1200);
    expect(marked).toBeLessThan(1800);
  });

  it('traces a trimmed and shuffled copy to its export, by its decoys', () => {
    const leaked = shuffle(fileA).slice(0, 600);
    const match = traceRows(leaked, candidates);
    expect(match?.exportId).toBe(exportA);
    expect(match?.decoyRows).toBeGreaterThan(0);
    expect(match?.confidence).toBeGreaterThan(0.999999);
  });

  it('traces a small sample without any decoy by the row marks alone', () => {
    const realOnly = shuffle(fileB.filter((row) => rows.some((real) => real.id === row.id))).slice(0, 60);
    const match = traceRows(realOnly, candidates);
    expect(match?.exportId).toBe(exportB);
    expect(match?.decoyRows).toBe(0);
    expect(match?.markedRows).toBe(60);
    expect(match?.matchingMarks).toBe(60);
    expect(match?.confidence).toBeGreaterThan(0.999);
  });

  it('finds nothing in rows that were never exported', () => {
    expect(traceRows(realRows(200), candidates)).toBeNull();
  });

  it('still finds the export when the leaker dropped the masked columns (decoys carry the id)', () => {
    const stripped = shuffle(fileA).map((row) => ({ id: row.id, name: row.name }));
    expect(traceRows(stripped, candidates)?.exportId).toBe(exportA);
  });

  it('puts at least one decoy into a tiny file, and marks names when they are masked', () => {
    const exportId = uuidv7();
    const tiny = [{ id: uuidv7(), name: maskName('Zhang Wei'), company: null, mobile: null, email: null }];
    const out = fingerprinted(exportId, tiny, []);
    expect(out).toHaveLength(2);
    expect(traceRows(out, [candidate(exportId), ...candidates])?.exportId).toBe(exportId);
  });

  it('reads the marks: canonical, one star more, or none', () => {
    expect(observedBit('J*** Smith')).toBe(0);
    expect(observedBit('J**** Smith')).toBe(1);
    expect(observedBit('z***@example.com')).toBe(0);
    expect(observedBit('****')).toBeNull();
    expect(observedBit('138****8000')).toBeNull();
    expect(observedBit('Springfield')).toBeNull();
  });

  it('computes binomial tails', () => {
    expect(binomialTail(10, 10)).toBeCloseTo(1 / 1024, 10);
    expect(binomialTail(10, 0)).toBe(1);
    expect(binomialTail(2, 1)).toBeCloseTo(0.75, 10);
    expect(binomialTail(1000, 1000)).toBeGreaterThan(0);
  });

  it('encodes and recognises decoy ids', () => {
    const key = exportFingerprintKey(serverKey, exportA);
    const id = decoyId(key, 0xdeadbeef, 0x0190f0a0b0c0n, 513);
    expect(isDecoyOf(key, 0xdeadbeef, id)).toBe(true);
    expect(isDecoyOf(key, 0xdeadbeee, id)).toBe(false);
    const tampered = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    expect(isDecoyOf(key, 0xdeadbeef, tampered)).toBe(false);
  });
});
