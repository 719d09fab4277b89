import type { FieldLevel } from '../policy/policy.types';
import { maskValue } from './mask.util';

/** A record after `applyFieldLevels`: each field kept, replaced by its masked string, or gone. */
export type FieldLevelled<T extends object> = { [K in keyof T]?: T[K] | string };

/**
 * A copy of `record` with each own field at its level: `clear` keeps the value, `masked` replaces
 * it with `maskValue(field, value)`, `none` leaves it out. A field without a level is left out too
 * (deny by default), so compute the levels for every field the record has (e.g.
 * `policy.fieldLevels(action, subject, Object.keys(record), record)`). A `null` or `undefined`
 * value stays as it is at `masked`: that a field is empty is not the sensitive part. The record
 * itself is not modified.
 */
export function applyFieldLevels<T extends object>(
  record: T,
  levels: Readonly<Record<string, FieldLevel>>,
): FieldLevelled<T> {
  const entries: [string, unknown][] = [];
  for (const [field, value] of Object.entries(record)) {
    const level = Object.hasOwn(levels, field) ? levels[field] : 'none';
    if (level === 'clear') entries.push([field, value]);
    else if (level === 'masked') entries.push([field, value === null || value === undefined ? value : maskValue(field, value)]);
  }
  // fromEntries defines own properties, so a field named `__proto__` cannot touch the prototype.
  return Object.fromEntries(entries) as FieldLevelled<T>;
}
