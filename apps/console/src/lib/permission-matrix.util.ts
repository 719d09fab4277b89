import type { FieldLevel, Permission, Role } from '../api/authorization.api';
import { SENSITIVE_FIELDS, type SensitiveField } from '../api/customers.api';

export const MATRIX_FIELDS: readonly SensitiveField[] = SENSITIVE_FIELDS;
export const LEVELS: readonly FieldLevel[] = ['none', 'masked', 'clear'];

const RANK: Record<FieldLevel, number> = { none: 0, masked: 1, clear: 2 };

const actions = (p: Permission): string[] => (Array.isArray(p.action) ? p.action : [p.action]);
const readsCustomers = (p: Permission): boolean =>
  !p.deny &&
  (p.subject === 'Customer' || p.subject === 'all') &&
  actions(p).some((a) => a === 'read' || a === 'manage');

/**
 * The level a role gives each sensitive customer field when reading customers: the highest level
 * any of its allowing `read Customer` permissions names (a sensitive field not named is `none`),
 * capped by its `deny` permissions with fields. Conditions (own, team…) are shown with the rules,
 * not in the matrix.
 */
export function roleFieldLevels(role: Pick<Role, 'permissions'>): Record<SensitiveField, FieldLevel> {
  const levels = Object.fromEntries(MATRIX_FIELDS.map((f) => [f, 'none'])) as Record<
    SensitiveField,
    FieldLevel
  >;
  for (const permission of role.permissions.filter(readsCustomers)) {
    for (const field of MATRIX_FIELDS) {
      const level = permission.fields?.[field];
      if (level && RANK[level] > RANK[levels[field]]) levels[field] = level;
    }
  }
  for (const permission of role.permissions) {
    if (!permission.deny || !permission.fields || permission.subject !== 'Customer') continue;
    for (const field of MATRIX_FIELDS) {
      const cap = permission.fields[field] ?? permission.fields['*'];
      if (cap && RANK[cap] < RANK[levels[field]]) levels[field] = cap;
    }
  }
  return levels;
}

/** Whether the role reads customers at all (otherwise its row says so instead of offering levels). */
export const roleReadsCustomers = (role: Pick<Role, 'permissions'>): boolean =>
  role.permissions.some(readsCustomers);

/**
 * The role's permissions with `field` at `level` in every allowing `read Customer` permission (so
 * the matrix cell shows what was chosen). Null when the role has no such permission to change.
 */
export function withFieldLevel(
  role: Pick<Role, 'permissions'>,
  field: SensitiveField,
  level: FieldLevel,
): Permission[] | null {
  if (!roleReadsCustomers(role)) return null;
  return role.permissions.map((permission) => {
    if (readsCustomers(permission))
      return { ...permission, fields: { ...(permission.fields ?? {}), [field]: level } };
    if (
      permission.deny &&
      permission.fields &&
      permission.subject === 'Customer' &&
      permission.fields[field]
    ) {
      // An explicit cap below the chosen level would hide the change: lift it to the chosen level.
      const cap = permission.fields[field];
      return RANK[cap] < RANK[level]
        ? { ...permission, fields: { ...permission.fields, [field]: level } }
        : permission;
    }
    return permission;
  });
}
