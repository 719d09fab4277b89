import type { FieldLevel, Grant, Permission, User } from '../api/authorization.api';
import { EXPORT_FIELD_LABELS } from './exports.util';

/** A permission of a grant in words: what it allows, on which records, and each field's level. */
export type PermissionWords = {
  /** `Read customers`, `Never export customers`. */
  what: string;
  /** `customers they own, up to their clearance`, or `every record`. */
  scope: string;
  /** `National ID and Address in clear; Mobile masked`, or null when the permission names no field. */
  fields: string | null;
};

const ACTION_WORDS: Record<string, string> = {
  read: 'read',
  create: 'create',
  update: 'change',
  delete: 'delete',
  export: 'export',
  manage: 'manage',
  offboard: 'offboard',
  'approve-export': 'approve',
  'approve-grant': 'approve',
  'view-audit': 'read',
  'manage-users': 'manage',
  'manage-roles': 'manage',
};

const SUBJECT_WORDS: Record<string, string> = {
  Customer: 'customers',
  Export: 'exports',
  Grant: 'grants',
  User: 'users',
  Team: 'teams',
  Role: 'roles',
  Alert: 'alerts',
  Offboarding: 'offboardings',
  AuditLog: 'the audit trail',
};

const LEVEL_WORDS: Record<FieldLevel, string> = { clear: 'in clear', masked: 'masked', none: 'hidden' };

/** `a`, `a and b`, `a, b and c`. */
export const joinWords = (words: string[]): string =>
  words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;

const fieldLabel = (field: string): string =>
  field === '*'
    ? 'every other field'
    : (EXPORT_FIELD_LABELS[field as keyof typeof EXPORT_FIELD_LABELS] ?? field);

const FIELD_ORDER: readonly string[] = Object.keys(EXPORT_FIELD_LABELS);
/** Known fields in the customer's order, then others, `*` (every other field) last. */
const fieldRank = (field: string): number =>
  field === '*' ? FIELD_ORDER.length + 1 : FIELD_ORDER.includes(field) ? FIELD_ORDER.indexOf(field) : FIELD_ORDER.length;

/** One condition of a rule in words (relative to the grantee). */
function conditionWords(key: string, value: unknown): string {
  if (key === 'owner' && value === 'me') return 'they own';
  if (key === 'team' && value === 'mine') return 'of their team and its sub-teams';
  if (key === 'sharedWithMe' && value === true) return 'shared with them';
  if (key === 'classification' && value === 'within-clearance') return 'up to their clearance';
  return `where ${key} is ${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

/** A permission in plain words, as an approver should read it before deciding. */
export function describePermission(permission: Permission): PermissionWords {
  const actions = [permission.action].flat().map((a) => ACTION_WORDS[a] ?? a);
  const subject = SUBJECT_WORDS[permission.subject] ?? permission.subject;
  const verbs = joinWords([...new Set(actions)]);
  const what = permission.deny
    ? `Never ${verbs} ${subject}`
    : `${verbs.charAt(0).toUpperCase()}${verbs.slice(1)} ${subject}`;
  const conditions = Object.entries(permission.conditions ?? {}).map(([k, v]) => conditionWords(k, v));
  const scope = conditions.length ? `${subject} ${conditions.join(', ')}` : `every record (no condition)`;
  let fields: string | null = null;
  if (permission.fields && Object.keys(permission.fields).length > 0) {
    const byLevel = new Map<FieldLevel, string[]>();
    // In the customer's order (a stored permission's keys come back in the database's order).
    const entries = Object.entries(permission.fields).sort(([a], [b]) => fieldRank(a) - fieldRank(b) || a.localeCompare(b));
    for (const [field, level] of entries) {
      byLevel.set(level, [...(byLevel.get(level) ?? []), fieldLabel(field)]);
    }
    fields = (['clear', 'masked', 'none'] as const)
      .filter((level) => byLevel.has(level))
      .map((level) => `${joinWords(byLevel.get(level) ?? [])} ${LEVEL_WORDS[level]}`)
      .join('; ');
  }
  return { what, scope, fields };
}

/** The grants waiting for the caller's decision: pending, and never the caller's own. */
export const grantsAwaitingDecision = (grants: readonly Grant[], me: string): Grant[] =>
  grants.filter((grant) => grant.status === 'pending' && grant.userId !== me);

/**
 * How a person is named on screen: `Sam Staff (sam.staff)` when the directory answered, `you` for
 * the caller, else the whole user id (never a shortened one: two ids may share a prefix).
 */
export function personLabel(
  userId: string,
  me: string | null | undefined,
  user: Pick<User, 'displayName' | 'username'> | null | undefined,
): string {
  if (userId === me) return 'you';
  if (user) return `${user.displayName} (${user.username})`;
  return `user ${userId}`;
}

/** The grantees a grant list names (by user id), for `usePersonLabels`. */
export function granteesOf(grants: readonly Pick<Grant, 'userId' | 'grantee'>[]): Map<string, { username: string; displayName: string }> {
  const names = new Map<string, { username: string; displayName: string }>();
  for (const grant of grants) if (grant.grantee) names.set(grant.userId, grant.grantee);
  return names;
}
