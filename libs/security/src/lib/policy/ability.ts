// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration cannot be imported; see the file
/// <reference path="./casl-ability.d.ts" />
import { Ability, type MatchConditions, type Rule } from '@casl/ability';
import { CLASSIFICATION_ORDER, SENSITIVE_FIELDS } from './policy.constants';
import { PolicyError, PolicyErrorCode } from './policy.exception';
import {
  ACTIONS,
  FIELD_LEVELS,
  SUBJECTS,
  type Action,
  type CompiledAbility,
  type CompiledConditions,
  type CompiledRule,
  type FieldLevel,
  type PolicyResource,
  type Subject,
} from './policy.types';

/** The clock, read on every check when the policy holds expiring (grant) rules. Epoch ms or a Date. */
export type PolicyClock = () => number | Date;

export type CreatePolicyOptions = { now?: PolicyClock };

/** Levels as ranks so "most permissive" is a `max`: none 0 < masked 1 < clear 2. */
const NONE = 0;
const CLEAR = 2;
const LEVEL_RANK: ReadonlyMap<string, number> = new Map(FIELD_LEVELS.map((level, rank) => [level, rank]));

/** What the evaluator precomputes for one compiled rule. */
type RuleMeta = {
  readonly rule: CompiledRule;
  /** `Infinity` for a role's rule. */
  readonly expiresAtMs: number;
  /** A deny rule with `fields`: caps field levels, does not forbid the action. */
  readonly capOnly: boolean;
  readonly levels: ReadonlyMap<string, number>;
  /** The `'*'` level as a rank, or -1. */
  readonly wildcard: number;
};

type RawPolicyRule = {
  action: Action[];
  subject: Subject;
  inverted: boolean;
  conditions?: CompiledConditions;
  meta: RuleMeta;
};

type PolicyAbility = Ability<[Action, Subject], CompiledConditions>;
type PolicyRule = Rule<[Action, Subject], CompiledConditions>;

const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);
const SUBJECT_SET: ReadonlySet<string> = new Set(SUBJECTS);
const CLASSIFICATION_SET: ReadonlySet<string> = new Set(CLASSIFICATION_ORDER);
const NO_FIELDS: ReadonlySet<string> = new Set();
const SENSITIVE_BY_SUBJECT: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(SENSITIVE_FIELDS).map(([subject, fields]) => [subject, new Set(fields)]),
);

/**
 * The local evaluator of a compiled ability, built on CASL: CASL indexes the rules by action and
 * subject (with `manage`/`all` as wildcards) and calls our condition matcher; the loop over a
 * query's rules is ours so that it can skip expired grant rules and field caps without
 * allocating.
 *
 * Semantics:
 * - Deny by default: no matching allowing rule, no access.
 * - Deny wins: deny rules are ordered after every allowing rule, which gives them the higher CASL
 *   priority, so the first matching rule of a query is a deny rule whenever one matches.
 * - Without a `resource`, `can` answers "may the user do this to some resource?" (CASL's
 *   semantics: a conditional allow counts, a conditional deny does not). Pass the resource for a
 *   decision on a record; use `toSqlFilter` to select records.
 * - A grant's rule stops applying at its `expiresAt`, checked against the clock on every call.
 */
export class Policy {
  readonly userId: string;
  readonly policyVersion: number | undefined;
  readonly validUntil: string | null;
  private readonly ability: PolicyAbility;
  private readonly clock: PolicyClock;
  private readonly hasExpiringRules: boolean;
  /** Scratch buffers reused by the field-level queries (evaluation is synchronous). */
  private readonly allowScratch: RuleMeta[] = [];
  private readonly capScratch: RuleMeta[] = [];

  constructor(compiled: CompiledAbility, options: CreatePolicyOptions = {}) {
    assertCompiledAbility(compiled);
    this.userId = compiled.userId;
    this.policyVersion = compiled.policyVersion;
    this.validUntil = compiled.validUntil;
    this.clock = options.now ?? Date.now;
    const metas = compiled.rules.map(toRuleMeta);
    // Allowing rules first, deny rules last: in CASL the later rule has the higher priority.
    const ordered = [...metas.filter((m) => !m.rule.inverted), ...metas.filter((m) => m.rule.inverted)];
    const raw: RawPolicyRule[] = ordered.map((meta) => {
      const rule: RawPolicyRule = {
        action: meta.rule.action,
        subject: meta.rule.subject,
        inverted: meta.rule.inverted,
        meta,
      };
      if (meta.rule.conditions) rule.conditions = meta.rule.conditions;
      return rule;
    });
    this.hasExpiringRules = metas.some((meta) => meta.expiresAtMs !== Number.POSITIVE_INFINITY);
    this.ability = new Ability<[Action, Subject], CompiledConditions>(raw, {
      conditionsMatcher: compileConditions,
    });
  }

  /** Whether the user may perform `action` on `subject` (on `resource` when given). */
  can(action: Action, subject: Subject, resource?: PolicyResource): boolean {
    const rules = this.ability.possibleRulesFor(action, subject);
    const now = this.hasExpiringRules ? this.nowMs() : 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const meta = metaOf(rule);
      if (meta.capOnly || meta.expiresAtMs <= now) continue;
      if (rule.matchesConditions(resource as never)) return !rule.inverted;
    }
    return false;
  }

  cannot(action: Action, subject: Subject, resource?: PolicyResource): boolean {
    return !this.can(action, subject, resource);
  }

  /**
   * The most permissive level any allowing rule gives `field` ('clear' > 'masked' > 'none'),
   * lowered by field caps; 'none' when the action is not allowed. Without `resource`, the best
   * level over every resource the user might act on.
   */
  fieldLevel(action: Action, subject: Subject, field: string, resource?: PolicyResource): FieldLevel {
    if (!this.collect(action, subject, resource)) return 'none';
    return FIELD_LEVELS[this.levelOf(subject, field)];
  }

  fieldLevels<F extends string>(
    action: Action,
    subject: Subject,
    fields: readonly F[],
    resource?: PolicyResource,
  ): Record<F, FieldLevel> {
    const allowed = this.collect(action, subject, resource);
    const entries = fields.map((field) => [field, allowed ? FIELD_LEVELS[this.levelOf(subject, field)] : 'none']);
    return Object.fromEntries(entries) as Record<F, FieldLevel>;
  }

  /** The `fields` the user sees at all (masked or clear). */
  visibleFields<F extends string>(action: Action, subject: Subject, fields: readonly F[], resource?: PolicyResource): F[] {
    if (!this.collect(action, subject, resource)) return [];
    return fields.filter((field) => this.levelOf(subject, field) > NONE);
  }

  /**
   * The rules that apply to `action` on `subject` now (unexpired), deny rules first. For
   * translators such as `toSqlFilter`.
   */
  activeRulesFor(action: Action, subject: Subject): CompiledRule[] {
    const rules = this.ability.possibleRulesFor(action, subject);
    const now = this.hasExpiringRules ? this.nowMs() : 0;
    const active: CompiledRule[] = [];
    for (const rule of rules) {
      const meta = metaOf(rule);
      if (meta.expiresAtMs > now) active.push(meta.rule);
    }
    return active;
  }

  private nowMs(): number {
    const now = this.clock();
    return typeof now === 'number' ? now : now.getTime();
  }

  /**
   * Fills the scratch buffers with the allowing rules and caps that match; `false` when the
   * action is denied or nothing allows it.
   */
  private collect(action: Action, subject: Subject, resource: PolicyResource | undefined): boolean {
    const rules = this.ability.possibleRulesFor(action, subject);
    const now = this.hasExpiringRules ? this.nowMs() : 0;
    this.allowScratch.length = 0;
    this.capScratch.length = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const meta = metaOf(rule);
      if (meta.expiresAtMs <= now) continue;
      if (meta.capOnly) {
        // Without a resource a conditional cap might apply: apply it (the safe side).
        if (resource === undefined || rule.matchesConditions(resource as never)) this.capScratch.push(meta);
        continue;
      }
      if (!rule.matchesConditions(resource as never)) continue;
      if (rule.inverted) {
        this.allowScratch.length = 0;
        return false;
      }
      this.allowScratch.push(meta);
    }
    return this.allowScratch.length > 0;
  }

  /** The level of `field` over the collected rules, as a rank. */
  private levelOf(subject: Subject, field: string): number {
    const sensitive = SENSITIVE_BY_SUBJECT.get(subject) ?? NO_FIELDS;
    let best = NONE;
    for (let i = 0; i < this.allowScratch.length && best < CLEAR; i++) {
      const meta = this.allowScratch[i];
      const named = meta.levels.get(field);
      const level =
        named !== undefined ? named : sensitive.has(field) ? NONE : meta.wildcard >= 0 ? meta.wildcard : CLEAR;
      if (level > best) best = level;
    }
    for (let i = 0; i < this.capScratch.length && best > NONE; i++) {
      const meta = this.capScratch[i];
      const named = meta.levels.get(field);
      const cap = named !== undefined ? named : meta.wildcard >= 0 ? meta.wildcard : CLEAR;
      if (cap < best) best = cap;
    }
    return best;
  }
}

/** The evaluator for a compiled ability. Throws `PolicyError` on a malformed one: fail closed. */
export function createPolicy(compiled: CompiledAbility, options: CreatePolicyOptions = {}): Policy {
  return new Policy(compiled, options);
}

function metaOf(rule: PolicyRule): RuleMeta {
  return (rule.origin as unknown as RawPolicyRule).meta;
}

function toRuleMeta(rule: CompiledRule): RuleMeta {
  const levels = new Map<string, number>();
  let wildcard = -1;
  for (const [field, level] of Object.entries(rule.fields ?? {})) {
    const rank = LEVEL_RANK.get(level) ?? NONE;
    if (field === '*') wildcard = rank;
    else levels.set(field, rank);
  }
  return {
    rule,
    expiresAtMs: rule.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(rule.expiresAt),
    capOnly: rule.inverted && rule.fields !== undefined,
    levels,
    wildcard,
  };
}

/** CASL `conditionsMatcher`: a closure over the resolved values, with sets for membership. */
function compileConditions(conditions: CompiledConditions): MatchConditions {
  const ownerId = conditions.ownerId;
  const teams = conditions.teamId ? new Set(conditions.teamId.in) : undefined;
  const classifications = conditions.classification ? new Set<string>(conditions.classification.in) : undefined;
  const sharedWith = conditions.sharedWith?.contains;
  const matches = (resource: Record<string, unknown>): boolean =>
    (ownerId === undefined || resource.ownerId === ownerId) &&
    (teams === undefined || (typeof resource.teamId === 'string' && teams.has(resource.teamId))) &&
    (classifications === undefined ||
      (typeof resource.classification === 'string' && classifications.has(resource.classification))) &&
    (sharedWith === undefined || (Array.isArray(resource.sharedWith) && resource.sharedWith.includes(sharedWith)));
  return matches as unknown as MatchConditions;
}

/** Structural checks of a compiled ability that may come from a cache. */
function assertCompiledAbility(compiled: CompiledAbility): void {
  const fail = (what: string): never => {
    throw new PolicyError(PolicyErrorCode.MalformedPolicy, `malformed compiled policy: ${what}`);
  };
  if (typeof compiled !== 'object' || compiled === null) fail('not an object');
  if (typeof compiled.userId !== 'string' || compiled.userId === '') fail('userId');
  if (!Array.isArray(compiled.rules)) fail('rules');
  if (compiled.validUntil !== null && typeof compiled.validUntil !== 'string') fail('validUntil');
  compiled.rules.forEach((rule, index) => {
    const at = `rules[${index}]`;
    if (typeof rule !== 'object' || rule === null) fail(at);
    if (!Array.isArray(rule.action) || rule.action.length === 0 || !rule.action.every((a) => ACTION_SET.has(a))) {
      fail(`${at}.action`);
    }
    if (!SUBJECT_SET.has(rule.subject)) fail(`${at}.subject`);
    if (typeof rule.inverted !== 'boolean') fail(`${at}.inverted`);
    if (rule.conditions !== undefined && !isConditions(rule.conditions)) fail(`${at}.conditions`);
    if (rule.fields !== undefined) {
      if (typeof rule.fields !== 'object' || rule.fields === null) fail(`${at}.fields`);
      if (!Object.values(rule.fields).every((level) => LEVEL_RANK.has(level))) fail(`${at}.fields`);
    }
    if (rule.source?.kind === 'grant' && rule.expiresAt === undefined) fail(`${at}.expiresAt`);
    if (rule.expiresAt !== undefined && Number.isNaN(Date.parse(rule.expiresAt))) fail(`${at}.expiresAt`);
  });
}

function isConditions(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const keys = Object.keys(c);
  if (keys.length === 0) return false;
  const stringList = (v: unknown, allowed?: ReadonlySet<string>): boolean =>
    Array.isArray(v) && v.every((item) => typeof item === 'string' && (!allowed || allowed.has(item)));
  return keys.every((key) => {
    const v = c[key];
    switch (key) {
      case 'ownerId':
        return typeof v === 'string';
      case 'teamId':
        return typeof v === 'object' && v !== null && stringList((v as { in?: unknown }).in);
      case 'classification':
        return typeof v === 'object' && v !== null && stringList((v as { in?: unknown }).in, CLASSIFICATION_SET);
      case 'sharedWith':
        return typeof v === 'object' && v !== null && typeof (v as { contains?: unknown }).contains === 'string';
      default:
        return false;
    }
  });
}
