import { CUSTOMER_CLASSIFICATIONS, type Classification } from '@warden/contracts';
import type { Subject } from './policy.types';

/** Customer fields that are never shown in clear unless a rule names them. */
export const SENSITIVE_CUSTOMER_FIELDS = ['mobile', 'email', 'nationalId', 'address'] as const;
export type SensitiveCustomerField = (typeof SENSITIVE_CUSTOMER_FIELDS)[number];

/** Sensitive fields by subject: `none` unless a rule gives them a level explicitly. */
export const SENSITIVE_FIELDS: Readonly<Partial<Record<Subject, readonly string[]>>> = {
  Customer: SENSITIVE_CUSTOMER_FIELDS,
};

/** Classification levels, least to most restricted. */
export const CLASSIFICATION_ORDER: readonly Classification[] = CUSTOMER_CLASSIFICATIONS;

/** The levels a principal with `clearance` may see: every level at or below it. */
export function classificationsWithin(clearance: Classification): Classification[] {
  const rank = CLASSIFICATION_ORDER.indexOf(clearance);
  return rank < 0 ? [] : CLASSIFICATION_ORDER.slice(0, rank + 1);
}
