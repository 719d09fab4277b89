import type { SubjectKeys } from '@warden/crypto';
import { maskValue, type FieldLevel } from '@warden/security';
import type { CustomerRow } from '../customer/customer-query.service';
import { maskSensitive } from '../customer/customer-sensitive.util';
import { CUSTOMER_VIEW_FIELDS, isSensitiveField, type CustomerViewField, type SensitiveViewField } from '../customer/customer-view.util';
import { CustomerError, CustomerErrorCode } from '../customer/customer.exception';

/** Sets one field of a row's view on `view` (undefined where JSON leaves the field out, as the view does). */
type FieldStep = (view: StreamView, row: CustomerRow, keys: SubjectKeys | null) => void;

/** A streamed row's view: `id` and `version` first, then the shown fields in the order of the response. */
export type StreamView = { id: string; version: number } & Record<string, unknown>;

/** A row's view at one set of levels. */
export type StreamViewBuilder = (row: CustomerRow) => StreamView;

const PLAIN: Record<Exclude<CustomerViewField, SensitiveViewField | 'id' | 'version'>, (row: CustomerRow) => unknown> = {
  name: (row) => row.name,
  company: (row) => row.company,
  tags: (row) => row.tags,
  classification: (row) => row.classification,
  ownerId: (row) => row.owner_id,
  teamId: (row) => row.team_id,
  status: (row) => row.status,
  createdAt: (row) => row.created_at.toISOString(),
  updatedAt: (row) => row.updated_at.toISOString(),
};

const SENSITIVE_COLUMNS: Record<SensitiveViewField, { ciphertext: (row: CustomerRow) => string | null; masked: (row: CustomerRow) => string | null | undefined }> = {
  mobile: { ciphertext: (row) => row.mobile_ciphertext, masked: (row) => row.mobile_masked },
  email: { ciphertext: (row) => row.email_ciphertext, masked: (row) => row.email_masked },
  nationalId: { ciphertext: (row) => row.national_id_ciphertext, masked: (row) => row.national_id_masked },
  address: { ciphertext: (row) => row.address_ciphertext, masked: (row) => row.address_masked },
};

function stepOf(field: Exclude<CustomerViewField, 'id' | 'version'>, level: 'clear' | 'masked'): FieldStep {
  if (isSensitiveField(field)) {
    const { ciphertext, masked } = SENSITIVE_COLUMNS[field];
    const mask = maskSensitive[field];
    return (view, row, keys) => {
      // A stored masked form implies a stored value (both are cleared together).
      const stored = level === 'masked' ? masked(row) : null;
      if (stored !== null && stored !== undefined) {
        view[field] = stored;
        return;
      }
      const token = ciphertext(row);
      if (!token) {
        view[field] = null;
        return;
      }
      if (!keys) throw new Error(`no data key loaded for customer ${row.id}`);
      const value = keys.decrypt(row.id, field, token);
      view[field] = level === 'clear' ? value : mask(value);
    };
  }
  const read = PLAIN[field];
  if (level === 'clear') {
    return (view, row) => {
      view[field] = read(row);
    };
  }
  return (view, row) => {
    const value = read(row);
    view[field] = value === null || value === undefined ? value : maskValue(field, value);
  };
}

/**
 * A row's view at `levels` with the page's data keys, as the stream sends it: the fields and
 * values of `viewWith` (stored masked forms, decrypt only what is shown, `none` left out), with
 * `id` and `version` first, built straight from the row (no intermediate records per row). The
 * steps are worked out once per levels (`levels` from `streamLevels`, which always shows `id` and
 * `version`); every view of one builder has the same fields in the same order. The customer-stream
 * spec checks its JSON against `viewWith`'s.
 */
export function streamViewBuilder(levels: Readonly<Record<CustomerViewField, FieldLevel>>, keys: SubjectKeys | null): StreamViewBuilder {
  if (levels.id !== 'clear' || levels.version !== 'clear') throw new Error('a streamed row always shows its id and version');
  const steps: FieldStep[] = [];
  for (const field of CUSTOMER_VIEW_FIELDS) {
    if (field === 'id' || field === 'version') continue;
    const level = Object.hasOwn(levels, field) ? levels[field] : 'none';
    if (level === 'clear' || level === 'masked') steps.push(stepOf(field, level));
  }
  return (row) => {
    if (row.status === 'erased' || row.name === null) {
      throw new CustomerError(CustomerErrorCode.Erased, `customer ${row.id} has been erased`);
    }
    const view: StreamView = { id: row.id, version: row.version };
    for (const step of steps) step(view, row, keys);
    return view;
  };
}

/** Where one view's JSON ends and the next one's begins in the JSON of an array of views. */
const BETWEEN = '},{"id":';
const BETWEEN_LINES = '}\n{"id":';

/**
 * The JSON lines of `views` (each `JSON.stringify(view)` and a line break), from one
 * `JSON.stringify` of the array, which is much cheaper than one call per view. Each view's JSON
 * starts with `{"id":` and ends with `}`, so each boundary between two views reads `},{"id":`;
 * inside a JSON string every `"` is escaped, and no value of a view is an object, so the text
 * cannot occur elsewhere unless a view has no id. Should the count of boundaries found not be
 * exactly one less than the views, the views are written one by one.
 */
export function streamLines(views: readonly StreamView[]): string {
  if (views.length === 0) return '';
  const array = JSON.stringify(views);
  const lines = array.slice(1, -1).replaceAll(BETWEEN, BETWEEN_LINES);
  let breaks = 0;
  for (let at = lines.indexOf('\n'); at >= 0; at = lines.indexOf('\n', at + 1)) breaks += 1;
  if (breaks === views.length - 1) return `${lines}\n`;
  let text = '';
  for (const view of views) text += `${JSON.stringify(view)}\n`;
  return text;
}
