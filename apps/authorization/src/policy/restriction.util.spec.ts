import { compileAbility, createPolicy, DEFAULT_ROLES } from '@warden/security';
import { withRestrictions } from './restriction.util';

const userId = '0190a0a0-0000-7000-8000-000000000001';
const now = new Date('2030-01-01T00:00:00Z');
const compiled = (roles: string[], status: 'active' | 'disabled' = 'active') =>
  compileAbility({
    user: { userId, roles, teamIds: [], clearance: 'internal', status },
    roles: Object.fromEntries(DEFAULT_ROLES.map((r) => [r.name, r])),
    grants: [],
    now,
    policyVersion: 3,
  });

describe('withRestrictions', () => {
  const until = '2030-01-01T01:00:00.000Z';

  it('denies the action on every subject while in force, and nothing else', () => {
    const base = compiled(['staff']);
    const anyAllowedBefore = createPolicy(base, { now: () => now }).can('read', 'Customer', { ownerId: userId });
    const restricted = withRestrictions(base, [{ id: 'r1', action: 'export', until }]);
    const policy = createPolicy(restricted, { now: () => now });
    expect(policy.can('export', 'Customer', { ownerId: userId })).toBe(false);
    expect(policy.can('export', 'Export')).toBe(false);
    expect(policy.can('read', 'Customer', { ownerId: userId })).toBe(anyAllowedBefore);
    expect(restricted.validUntil).toBe(until);
  });

  it('stops applying at its end, by the clock', () => {
    const base = { ...compiled(['staff']), rules: [...compiled(['staff']).rules, { action: ['export' as const], subject: 'Customer' as const, inverted: false, source: { kind: 'role' as const, id: 'x' } }] };
    const restricted = withRestrictions(base, [{ id: 'r1', action: 'export', until }]);
    expect(createPolicy(restricted, { now: () => now }).can('export', 'Customer')).toBe(false);
    expect(createPolicy(restricted, { now: () => Date.parse(until) }).can('export', 'Customer')).toBe(true);
  });

  it('keeps the earliest end as validUntil and leaves a user without rules without rules', () => {
    const base = { ...compiled(['staff']), validUntil: '2030-01-01T00:30:00.000Z' };
    expect(withRestrictions(base, [{ id: 'r1', action: 'export', until }]).validUntil).toBe('2030-01-01T00:30:00.000Z');
    const none = compiled(['staff'], 'disabled');
    expect(withRestrictions(none, [{ id: 'r1', action: 'export', until }])).toEqual(none);
    expect(withRestrictions(compiled(['staff']), [])).toEqual(compiled(['staff']));
  });
});
