import { classificationsWithin } from './policy.constants';
import type {
  Action,
  CompiledAbility,
  CompiledConditions,
  CompiledRule,
  ConditionSpec,
  Grant,
  Permission,
  PolicySubjectUser,
  RoleDefinition,
} from './policy.types';

export type CompileAbilityInput = {
  user: PolicySubjectUser;
  /** Role definitions by name; the user's role names are looked up here. */
  roles: Readonly<Record<string, RoleDefinition>>;
  grants: readonly Grant[];
  /** The instant of compilation (injected: this function reads no clock). */
  now: Date;
  /** The policy version the inputs were read at, passed through for cache keys. */
  policyVersion?: number;
};

/** Only these statuses may act; anything else (disabled, offboarded, unknown) gets no rules. */
const ACTING_STATUSES: ReadonlySet<string> = new Set(['active', 'departing']);

/**
 * A user's effective rules, with every condition resolved against the user. Pure: no I/O, no
 * clock. Deny by default throughout: an unknown role name contributes nothing, a user who is not
 * active (or departing, who still works until offboarded) gets no rules, and only grants of that
 * user that are `active` with `startsAt ≤ now < expiresAt` are used. Allowing rules come first and
 * deny rules last, the order the evaluator relies on for "deny wins".
 */
export function compileAbility(input: CompileAbilityInput): CompiledAbility {
  const { user, roles, grants, now, policyVersion } = input;
  const compiled: CompiledAbility = { userId: user.userId, rules: [], validUntil: null };
  if (policyVersion !== undefined) compiled.policyVersion = policyVersion;
  if (!ACTING_STATUSES.has(user.status)) return compiled;

  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) return compiled;
  const rules: CompiledRule[] = [];
  const seenRoles = new Set<string>();
  for (const name of user.roles) {
    // Own properties only: a role called `constructor` or `__proto__` must not resolve to
    // something from Object.prototype.
    if (seenRoles.has(name) || !Object.hasOwn(roles, name)) continue;
    seenRoles.add(name);
    const role = roles[name];
    for (const permission of role.permissions) {
      const rule = compileRule(permission, user, { kind: 'role', id: role.name });
      if (rule) rules.push(rule);
    }
  }

  let validUntilMs = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    if (!isGrantUsable(grant, user.userId, nowMs)) continue;
    const expiresAt = new Date(grant.expiresAt).toISOString();
    validUntilMs = Math.min(validUntilMs, Date.parse(expiresAt));
    for (const permission of grant.permissions) {
      const rule = compileRule(permission, user, { kind: 'grant', id: grant.id });
      if (rule) rules.push({ ...rule, expiresAt });
    }
  }

  compiled.rules = [...rules.filter((rule) => !rule.inverted), ...rules.filter((rule) => rule.inverted)];
  compiled.validUntil = Number.isFinite(validUntilMs) ? new Date(validUntilMs).toISOString() : null;
  return compiled;
}

/** Whether the grant applies to this user at `nowMs`. Unparseable instants make it unusable. */
export function isGrantUsable(grant: Grant, userId: string, nowMs: number): boolean {
  if (grant.status !== 'active' || grant.userId !== userId) return false;
  const expiresAtMs = Date.parse(grant.expiresAt);
  if (Number.isNaN(expiresAtMs) || nowMs >= expiresAtMs) return false;
  if (grant.startsAt === undefined) return true;
  const startsAtMs = Date.parse(grant.startsAt);
  return !Number.isNaN(startsAtMs) && startsAtMs <= nowMs;
}

/**
 * `null` when the permission's conditions cannot be understood (e.g. a typo in a stored role): an
 * allowing rule is then dropped, never widened to "every resource". A deny rule with such
 * conditions is kept without them, so it denies more, not less.
 */
function compileRule(
  permission: Permission,
  user: PolicySubjectUser,
  source: CompiledRule['source'],
): CompiledRule | null {
  const action: Action[] = Array.isArray(permission.action) ? [...permission.action] : [permission.action];
  const inverted = permission.deny === true;
  const rule: CompiledRule = { action, subject: permission.subject, inverted, source };
  if (permission.conditions !== undefined) {
    const conditions = resolveConditions(permission.conditions, user);
    if (conditions === INVALID) {
      if (!inverted) return null;
    } else if (conditions) {
      rule.conditions = conditions;
    }
  }
  if (permission.fields) rule.fields = { ...permission.fields };
  return rule;
}

const INVALID = Symbol('invalid conditions');
const CONDITION_KEYS: ReadonlySet<string> = new Set(['owner', 'team', 'classification', 'sharedWithMe']);

/** `undefined` when the spec has no condition at all (the rule applies to every resource). */
function resolveConditions(
  spec: ConditionSpec,
  user: PolicySubjectUser,
): CompiledConditions | undefined | typeof INVALID {
  if (typeof spec !== 'object' || spec === null) return INVALID;
  for (const key of Object.keys(spec)) if (!CONDITION_KEYS.has(key)) return INVALID;
  if (spec.owner !== undefined && spec.owner !== 'me') return INVALID;
  if (spec.team !== undefined && spec.team !== 'mine') return INVALID;
  if (spec.classification !== undefined && spec.classification !== 'within-clearance') return INVALID;
  if (spec.sharedWithMe !== undefined && spec.sharedWithMe !== true) return INVALID;
  const resolved: CompiledConditions = {};
  let any = false;
  if (spec.owner === 'me') {
    resolved.ownerId = user.userId;
    any = true;
  }
  if (spec.team === 'mine') {
    resolved.teamId = { in: [...new Set(user.teamIds)] };
    any = true;
  }
  if (spec.classification === 'within-clearance') {
    resolved.classification = { in: classificationsWithin(user.clearance) };
    any = true;
  }
  if (spec.sharedWithMe === true) {
    resolved.sharedWith = { contains: user.userId };
    any = true;
  }
  return any ? resolved : undefined;
}
