import type { Action, CompiledAbility, CompiledRule } from '@warden/security';

/** A time-bound deny of one action on every subject (POST /v1/users/:id/restrictions). */
export type Restriction = { id: string; action: Action; until: string };

/**
 * Pure: the compiled ability with each restriction as an explicit deny rule (deny wins) that
 * stops applying at its `until` (the evaluator checks the clock, as for grants); `validUntil`
 * becomes the earliest of its own and the restrictions' ends, so no cache outlives one. A user
 * who may not act (no rules) stays without rules. The rule's source is `grant` with the id
 * `restriction:<id>` (the compiled-ability contract knows roles and grants).
 */
export function withRestrictions(compiled: CompiledAbility, restrictions: readonly Restriction[]): CompiledAbility {
  if (restrictions.length === 0 || compiled.rules.length === 0) return compiled;
  const denies: CompiledRule[] = restrictions.map((r) => ({
    action: [r.action],
    subject: 'all',
    inverted: true,
    source: { kind: 'grant', id: `restriction:${r.id}` },
    expiresAt: new Date(r.until).toISOString(),
  }));
  const ends = [compiled.validUntil, ...denies.map((d) => d.expiresAt)].filter((v): v is string => typeof v === 'string').map(Date.parse);
  return { ...compiled, rules: [...compiled.rules, ...denies], validUntil: new Date(Math.min(...ends)).toISOString() };
}
