import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { csvRecordInput, headerProblem, type ImportRowError } from './customer-import.dto';

/** One row of an import file: its input, or why it cannot be one. */
export type ImportRow = { row: number; input: unknown } | { row: number; error: ImportRowError };

/** Why the file could not be read, without quoting it (csv-parse's messages may quote content). */
export function fileProblem(error: unknown): string {
  const detail = (error as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('CSV_')) return code.toLowerCase().replace(/_/g, ' ');
  if (code === 'ERR_CRYPTO_INVALID_AUTH_TAG' || (error as Error).message?.includes('authenticate')) {
    return 'the spooled upload was altered';
  }
  return 'unreadable content';
}

/** CSV records after the header (row 1 = the first record after it); a bad header fails the file. */
export async function* csvRows(source: Readable): AsyncGenerator<ImportRow> {
  const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  source.on('error', (error) => parser.destroy(error));
  let header: string[] | null = null;
  let row = 0;
  for await (const cells of parser as AsyncIterable<string[]>) {
    if (header === null) {
      header = cells.map((cell) => cell.trim());
      const problem = headerProblem(header);
      if (problem) throw Object.assign(new Error(problem), { code: 'CSV_HEADER', detail: problem });
      continue;
    }
    row += 1;
    if (cells.length !== header.length) {
      yield { row, error: { row, field: 'row', message: `has ${cells.length} fields, the header ${header.length}` } };
      continue;
    }
    yield { row, input: csvRecordInput(header, cells) };
  }
}

/** JSON lines (row 1 = the first non-empty line); a line that is not a JSON object is a row error. */
export async function* ndjsonRows(source: Readable): AsyncGenerator<ImportRow> {
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let row = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    row += 1;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      yield { row, error: { row, field: 'row', message: 'is not valid JSON' } };
      continue;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      yield { row, error: { row, field: 'row', message: 'is not a JSON object' } };
      continue;
    }
    yield { row, input };
  }
}
