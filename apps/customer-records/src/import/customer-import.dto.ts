import { z } from 'zod';

export const IMPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The media types `POST /v1/customers/import` takes, and the format each means. */
export function importFormatOf(contentType: string | undefined): ImportFormat | null {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl') return 'ndjson';
  return null;
}

/**
 * The columns of an import CSV (header row, any order): the fields of `POST /v1/customers`;
 * `tags` holds several tags separated by `;`. An empty cell is an absent field. Only `name` is
 * required.
 */
export const IMPORT_CSV_COLUMNS = [
  'name',
  'company',
  'tags',
  'classification',
  'ownerId',
  'teamId',
  'mobile',
  'email',
  'nationalId',
  'address',
] as const;

/** What is wrong with a header row (`null`: usable). */
export function headerProblem(header: readonly string[]): string | null {
  const known: readonly string[] = IMPORT_CSV_COLUMNS;
  const unknown = header.filter((column) => !known.includes(column));
  if (unknown.length) return `unknown column(s) ${unknown.join(', ')} (expected ${IMPORT_CSV_COLUMNS.join(', ')})`;
  const repeated = header.filter((column, i) => header.indexOf(column) !== i);
  if (repeated.length) return `repeated column(s) ${[...new Set(repeated)].join(', ')}`;
  if (!header.includes('name')) return 'the column name is required';
  return null;
}

/** A CSV record (cells in header order) as the body of a registration. */
export function csvRecordInput(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const cell = (cells[i] ?? '').trim();
    if (cell === '') return;
    input[column] = column === 'tags' ? cell.split(';').map((tag) => tag.trim()).filter(Boolean) : cell;
  });
  return input;
}

/** One row's problem: the row number (1 = the first record after a CSV header, or the first line of JSON lines). */
export type ImportRowError = { row: number; field: string; message: string };

export type ImportStatus = 'running' | 'completed' | 'failed';

/** `GET /v1/customers/imports/:id`. */
export type ImportProgress = {
  importId: string;
  status: ImportStatus;
  /** Known once the whole file was read. */
  rowsTotal?: number;
  /** Rows imported (registered). */
  rowsDone: number;
  rowsFailed: number;
  /** The first 1,000 row errors; all of them in `errors.csv`. */
  errors: ImportRowError[];
};

export const importIdParam = z.uuid({ message: 'must be an import id (UUID)' });
