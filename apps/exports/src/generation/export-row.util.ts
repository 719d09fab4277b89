import { SENSITIVE_CUSTOMER_FIELDS, maskValue } from '@warden/security';
import type { ExportRow } from '../fingerprint/fingerprint.util';

const SENSITIVE: ReadonlySet<string> = new Set(SENSITIVE_CUSTOMER_FIELDS);

/**
 * Whether a sensitive value already has a masked form (what customer-records sends for a field at
 * the `masked` level): stars in it, or for an address a bare city (no digit, no comma).
 */
export function looksMasked(field: string, value: string): boolean {
  if (value.includes('*')) return true;
  return field === 'address' && !/[\d,，]/u.test(value);
}

/**
 * One row of the file from one row of the customer-records stream: the id, then the requested
 * fields in order (a field the stream left out, i.e. at level `none`, stays empty). Defence in
 * depth: a sensitive field not requested in clear is masked here if the stream sent it in clear.
 */
export function shapeRow(raw: Record<string, unknown>, fields: readonly string[], clearFields: ReadonlySet<string>): ExportRow {
  return rowShaper(fields, clearFields)(raw);
}

/** `shapeRow` for one export's fields, with which of them to check for masking worked out once. */
export function rowShaper(fields: readonly string[], clearFields: ReadonlySet<string>): (raw: Record<string, unknown>) => ExportRow {
  const columns = [...fields];
  const checked = columns.map((field) => SENSITIVE.has(field) && !clearFields.has(field));
  return (raw) => {
    if (typeof raw.id !== 'string' || raw.id.length === 0) throw new Error('a streamed row has no id');
    const row: ExportRow = { id: raw.id };
    for (let i = 0; i < columns.length; i += 1) {
      const field = columns[i];
      let value = Object.hasOwn(raw, field) ? raw[field] : null;
      if (checked[i] && value !== null && value !== undefined) {
        if (typeof value !== 'string' || !looksMasked(field, value)) value = maskValue(field, value);
      }
      row[field] = value ?? null;
    }
    return row;
  };
}

/** A value as a spreadsheet or CSV cell: lists joined with `; `, objects as JSON, null empty. */
export function cellOf(value: unknown): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('; ');
  return JSON.stringify(value);
}

/** A CSV cell whose formula was escaped when the file was written (see `writeExportFile`). */
const FORMULA_ESCAPED = /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;

/** The value of a CSV cell as it was before its formula was escaped: `'=1+2` → `=1+2`, others unchanged. */
export function unescapeFormula(cell: string): string {
  return FORMULA_ESCAPED.test(cell) ? cell.slice(1) : cell;
}
