import type { ExportFormat } from '@warden/contracts';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportRow } from '../fingerprint/fingerprint.util';
import { cellOf } from './export-row.util';

/** Counts and hashes the plaintext of the file on its way to encryption. */
export class DigestCounter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

const columnsOf = (fields: readonly string[]): string[] => ['id', ...fields];

/**
 * CSV cells that a spreadsheet would take for a formula (first character `=`, `+`, `-`, `@`, tab or
 * carriage return, or their full-width forms) get a `'` in front (csv-stringify's `escape_formulas`):
 * a customer named `=HYPERLINK(…)` must not run when the file is opened. Tracing removes it again
 * (`unescapeFormula`). Numbers are left as they are.
 */
const CSV_OPTIONS = { escape_formulas: true } as const;

/** Text is handed to the sink in pieces of at least this many characters (not one write per row). */
export const TEXT_CHUNK_CHARS = 64 * 1024;

/** Rows one by one or in batches (as the generation passes them on). */
export type ExportRows = AsyncIterable<ExportRow | readonly ExportRow[]>;

async function* rowsOf(items: ExportRows): AsyncGenerator<readonly ExportRow[]> {
  for await (const item of items) yield Array.isArray(item) ? item : [item as ExportRow];
}

/** The text of each batch of rows (`text(batch)`), gathered into pieces of `TEXT_CHUNK_CHARS` or more. */
async function* textOf(head: string, rows: ExportRows, text: (batch: readonly ExportRow[]) => string): AsyncGenerator<string> {
  let chunk = head;
  for await (const batch of rowsOf(rows)) {
    chunk += text(batch);
    if (chunk.length >= TEXT_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Writes `rows` as a file of `format` into `sink` with back-pressure: CSV (csv-stringify, a batch
 * at a time, formulas escaped) and JSON lines as text built a batch at a time and written in
 * pieces of ~64 KB, XLSX through exceljs' streaming workbook writer (rows committed one by one,
 * the producer paused while the sink is full). Resolves when the sink has finished.
 */
export async function writeExportFile(format: ExportFormat, fields: readonly string[], rows: ExportRows, sink: Writable): Promise<void> {
  const columns = columnsOf(fields);
  switch (format) {
    case 'csv': {
      // csv-stringify's synchronous API once per batch: its quoting, far fewer stream hops than a record each.
      const header = stringifyCsv([columns], CSV_OPTIONS);
      const text = (batch: readonly ExportRow[]) =>
        stringifyCsv(
          batch.map((row) => columns.map((column) => cellOf(row[column]))),
          CSV_OPTIONS,
        );
      await pipeline(Readable.from(textOf(header, rows, text), { objectMode: false }), sink);
      return;
    }
    case 'jsonl': {
      const line = (row: ExportRow) => {
        const ordered: Record<string, unknown> = {};
        for (const column of columns) ordered[column] = row[column] ?? null;
        return `${JSON.stringify(ordered)}\n`;
      };
      await pipeline(Readable.from(textOf('', rows, (batch) => batch.map(line).join('')), { objectMode: false }), sink);
      return;
    }
    case 'xlsx': {
      const out = new PassThrough();
      const piped = pipeline(out, sink);
      // exceljs (~30 MB once loaded) only in a process that writes a workbook.
      const { default: ExcelJS } = await import('exceljs');
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
      const sheet = workbook.addWorksheet('export');
      sheet.addRow(columns).commit();
      for await (const batch of rowsOf(rows)) {
        for (const row of batch) {
          sheet.addRow(columns.map((column) => cellOf(row[column]))).commit();
          if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
      }
      sheet.commit();
      await workbook.commit();
      await piped;
      return;
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
