import type { Policy } from './ability';
import { PolicyError, PolicyErrorCode } from './policy.exception';
import type { Action, CompiledConditions, CompiledRule, Subject } from './policy.types';

/** The columns that hold the attributes conditions read. Only the ones a rule needs are required. */
export type PolicySqlColumns = {
  ownerId?: string;
  teamId?: string;
  classification?: string;
  /** An array column (e.g. `text[]`) of user ids. */
  sharedWith?: string;
};

export type ToSqlFilterOptions = {
  columns: PolicySqlColumns;
  /** Number of parameters already in the query: the first placeholder is `$(paramOffset + 1)`. */
  paramOffset?: number;
};

export type SqlFilter = { sql: string; params: unknown[] };

/** `name` or `alias.name`, unquoted identifiers only; they are emitted double-quoted. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The rows `policy` allows `action` on, as an SQL boolean expression for a `WHERE` clause:
 * `(allow₁ OR allow₂ …) AND (deny₁) IS NOT TRUE AND …`, where a rule without conditions is `TRUE`
 * and no allowing rule at all is `FALSE`. Every value is a `$n` parameter; column names come only
 * from `columns` and are validated and quoted. Deny rules are null-safe (`IS NOT TRUE`), so a row
 * whose attribute is NULL is treated exactly as `policy.can` treats a missing attribute. Field
 * caps (deny rules with `fields`) do not filter rows. Expired grant rules are left out, as of the
 * policy's clock now.
 */
export function toSqlFilter(policy: Policy, action: Action, subject: Subject, options: ToSqlFilterOptions): SqlFilter {
  const paramOffset = options.paramOffset ?? 0;
  if (!Number.isSafeInteger(paramOffset) || paramOffset < 0) {
    throw new PolicyError(PolicyErrorCode.InvalidColumn, 'paramOffset must be a non-negative integer');
  }
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${paramOffset + params.length}`;
  };
  // activeRulesFor lists by CASL priority (last defined first); emit in definition order.
  const rules = policy.activeRulesFor(action, subject).reverse();
  const denies = rules.filter((rule) => rule.inverted && rule.fields === undefined);
  const allows = rules.filter((rule) => !rule.inverted);

  if (allows.length === 0 || denies.some((rule) => !rule.conditions)) return { sql: 'FALSE', params: [] };

  let allowSql: string;
  if (allows.some((rule) => !rule.conditions)) {
    allowSql = 'TRUE';
  } else {
    const terms = allows.map((rule) => conditionSql(rule, options.columns, bind));
    allowSql = terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
  }
  const denySql = denies.map((rule) => `${conditionSql(rule, options.columns, bind)} IS NOT TRUE`);
  if (denySql.length === 0) return { sql: allowSql, params };
  return { sql: [allowSql === 'TRUE' ? null : allowSql, ...denySql].filter(Boolean).join(' AND '), params };
}

/** One rule's conditions, ANDed, parenthesised. */
function conditionSql(rule: CompiledRule, columns: PolicySqlColumns, bind: (value: unknown) => string): string {
  const c = rule.conditions as CompiledConditions;
  const parts: string[] = [];
  if (c.ownerId !== undefined) parts.push(`${column(columns, 'ownerId')} = ${bind(c.ownerId)}`);
  if (c.teamId !== undefined) parts.push(`${column(columns, 'teamId')} = ANY(${bind([...c.teamId.in])})`);
  if (c.classification !== undefined) {
    parts.push(`${column(columns, 'classification')} = ANY(${bind([...c.classification.in])})`);
  }
  if (c.sharedWith !== undefined) {
    // Array containment (not `= ANY`) so that a GIN index on the column serves it.
    parts.push(`${column(columns, 'sharedWith')} @> ARRAY[${bind(c.sharedWith.contains)}]::text[]`);
  }
  if (parts.length === 0) {
    // Unreachable for a validated policy; refuse rather than widen.
    throw new PolicyError(PolicyErrorCode.MalformedPolicy, 'a rule has empty conditions');
  }
  return `(${parts.join(' AND ')})`;
}

function column(columns: PolicySqlColumns, attribute: keyof PolicySqlColumns): string {
  const name = Object.hasOwn(columns, attribute) ? columns[attribute] : undefined;
  if (typeof name !== 'string') {
    throw new PolicyError(PolicyErrorCode.InvalidColumn, `no column mapped for the policy attribute "${attribute}"`);
  }
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new PolicyError(PolicyErrorCode.InvalidColumn, `the column for "${attribute}" is not a plain SQL identifier`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}
