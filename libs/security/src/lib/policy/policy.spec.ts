import { createPolicy } from './ability';
import { compileAbility } from './compile';
import { DEFAULT_ROLES_BY_NAME } from './default-roles';
import { PolicyError, PolicyErrorCode } from './policy.exception';
import { CUSTOMERS, NOW, ROLE_USERS, grant, policyFor, user } from './policy.fixtures';
import type { CompiledAbility, Permission, RoleDefinition } from './policy.types';

const ownCustomer = CUSTOMERS.find((c) => c.id === 'c-staff-own')!;
const teammateCustomer = CUSTOMERS.find((c) => c.id === 'c-other-a1')!;
const staff = ROLE_USERS.staff;
const revealTeam: Permission = {
  action: 'read',
  subject: 'Customer',
  conditions: { team: 'mine', classification: 'within-clearance' },
  fields: { nationalId: 'clear' },
};

const role = (name: string, permissions: Permission[]): RoleDefinition => ({
  name,
  description: name,
  permissions,
  mfaRequired: false,
});

describe('compileAbility', () => {
  it('resolves conditions to the user, levels at or below the clearance', () => {
    const compiled = compileAbility({ user: staff, roles: DEFAULT_ROLES_BY_NAME, grants: [], now: NOW, policyVersion: 7 });
    expect(compiled.policyVersion).toBe(7);
    expect(compiled.validUntil).toBeNull();
    expect(compiled.rules[0]).toEqual({
      action: ['read', 'create', 'update'],
      subject: 'Customer',
      inverted: false,
      conditions: { ownerId: 'u-staff', classification: { in: ['public', 'internal', 'confidential'] } },
      fields: { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked' },
      source: { kind: 'role', id: 'staff' },
    });
    const supervisor = compileAbility({ user: ROLE_USERS.supervisor, roles: DEFAULT_ROLES_BY_NAME, grants: [], now: NOW });
    expect(supervisor.rules[0].conditions?.teamId).toEqual({ in: ['team-a', 'team-a1'] });
    const partner = compileAbility({ user: ROLE_USERS.partner, roles: DEFAULT_ROLES_BY_NAME, grants: [], now: NOW });
    expect(partner.rules[0].conditions?.sharedWith).toEqual({ contains: 'u-partner' });
  });

  it('is JSON-serialisable: a policy from the cached JSON decides the same', () => {
    const compiled = compileAbility({
      user: staff,
      roles: DEFAULT_ROLES_BY_NAME,
      grants: [grant({ userId: 'u-staff', permissions: [revealTeam] })],
      now: NOW,
    });
    const revived = createPolicy(JSON.parse(JSON.stringify(compiled)) as CompiledAbility, { now: () => NOW });
    const direct = createPolicy(compiled, { now: () => NOW });
    for (const c of CUSTOMERS) {
      expect(revived.can('read', 'Customer', c)).toBe(direct.can('read', 'Customer', c));
      expect(revived.fieldLevel('read', 'Customer', 'nationalId', c)).toBe(direct.fieldLevel('read', 'Customer', 'nationalId', c));
    }
  });

  describe('when the user is not active', () => {
    it.each(['disabled', 'offboarded'] as const)('gives a %s user no rules at all', (status) => {
      const compiled = compileAbility({
        user: { ...staff, status },
        roles: DEFAULT_ROLES_BY_NAME,
        grants: [grant({ userId: 'u-staff', permissions: [revealTeam] })],
        now: NOW,
      });
      expect(compiled.rules).toEqual([]);
      expect(createPolicy(compiled).can('read', 'Customer', ownCustomer)).toBe(false);
    });

    it('keeps a departing user working until offboarded', () => {
      expect(policyFor({ ...staff, status: 'departing' }).can('read', 'Customer', ownCustomer)).toBe(true);
    });

    it('gives nothing to a status it does not know (fail closed)', () => {
      const odd = { ...staff, status: 'suspended' } as unknown as typeof staff;
      expect(policyFor(odd).can('read', 'Customer', ownCustomer)).toBe(false);
    });
  });

  describe('when a role name is unknown', () => {
    it.each(['ghost', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])('ignores %s', (name) => {
      const policy = policyFor(user('u-x', { roles: [name] }));
      expect(policy.can('read', 'Customer')).toBe(false);
      expect(policy.can('manage', 'all')).toBe(false);
    });
  });

  describe('when a stored condition is not understood', () => {
    it('drops an allowing rule instead of widening it', () => {
      const bad = role('bad', [{ action: 'read', subject: 'Customer', conditions: { owner: 'you' } as never }]);
      const policy = policyFor(user('u-x', { roles: ['bad'] }), { roles: { bad } });
      expect(policy.can('read', 'Customer', ownCustomer)).toBe(false);
      const typo = role('typo', [{ action: 'read', subject: 'Customer', conditions: { ownr: 'me' } as never }]);
      expect(policyFor(user('u-x', { roles: ['typo'] }), { roles: { typo } }).can('read', 'Customer')).toBe(false);
    });

    it('keeps a deny rule, without its conditions (denies more, not less)', () => {
      const roles = { ...DEFAULT_ROLES_BY_NAME, deny: role('deny', [{ action: 'read', subject: 'Customer', deny: true, conditions: { team: 'theirs' } as never }]) };
      expect(policyFor({ ...staff, roles: ['staff', 'deny'] }, { roles }).can('read', 'Customer', ownCustomer)).toBe(false);
    });
  });
});

describe('Grants', () => {
  it('adds an active grant’s permission and reports its expiry as validUntil', () => {
    const grants = [grant({ userId: 'u-staff', permissions: [revealTeam], expiresAt: '2030-06-01T18:00:00Z' })];
    const compiled = compileAbility({ user: staff, roles: DEFAULT_ROLES_BY_NAME, grants, now: NOW });
    expect(compiled.validUntil).toBe('2030-06-01T18:00:00.000Z');
    expect(compiled.rules.filter((r) => r.source.kind === 'grant')).toHaveLength(1);
    const policy = createPolicy(compiled, { now: () => NOW });
    expect(policy.can('read', 'Customer', teammateCustomer)).toBe(true);
    // the most permissive level among the allowing rules: the grant's clear beats the role's masked
    expect(policy.fieldLevel('read', 'Customer', 'nationalId', ownCustomer)).toBe('clear');
    expect(policy.fieldLevel('read', 'Customer', 'nationalId', teammateCustomer)).toBe('clear');
    // the grant names nationalId only: other sensitive fields stay none on a teammate's record
    expect(policy.fieldLevel('read', 'Customer', 'mobile', teammateCustomer)).toBe('none');
    expect(policy.can('update', 'Customer', teammateCustomer)).toBe(false);
  });

  it('takes the earliest expiry among several grants', () => {
    const grants = [
      grant({ id: 'g-1', userId: 'u-staff', permissions: [revealTeam], expiresAt: '2030-06-03T00:00:00Z' }),
      grant({ id: 'g-2', userId: 'u-staff', permissions: [revealTeam], expiresAt: '2030-06-02T00:00:00Z' }),
    ];
    expect(compileAbility({ user: staff, roles: {}, grants, now: NOW }).validUntil).toBe('2030-06-02T00:00:00.000Z');
  });

  it.each([
    ['expired though still marked active', { expiresAt: '2030-06-01T11:59:59.999Z' }],
    ['expiring exactly now', { expiresAt: NOW.toISOString() }],
    ['pending', { status: 'pending' as const }],
    ['rejected', { status: 'rejected' as const }],
    ['revoked', { status: 'revoked' as const }],
    ['expired', { status: 'expired' as const }],
    ['not started yet', { startsAt: '2030-06-01T12:00:00.001Z' }],
    ['for another user', { userId: 'u-other' }],
    ['with an unreadable expiry', { expiresAt: 'soon' }],
  ])('ignores a grant %s', (_what, overrides) => {
    const grants = [grant({ userId: 'u-staff', permissions: [revealTeam], ...overrides })];
    const compiled = compileAbility({ user: staff, roles: DEFAULT_ROLES_BY_NAME, grants, now: NOW });
    expect(compiled.validUntil).toBeNull();
    expect(createPolicy(compiled, { now: () => NOW }).can('read', 'Customer', teammateCustomer)).toBe(false);
  });

  it('stops applying at expiry even if the policy is not recompiled (clock read on every call)', () => {
    let now = NOW.getTime();
    const grants = [grant({ userId: 'u-staff', permissions: [revealTeam], expiresAt: '2030-06-01T13:00:00Z' })];
    const policy = policyFor(staff, { grants, clock: () => now });
    expect(policy.can('read', 'Customer', teammateCustomer)).toBe(true);
    expect(policy.fieldLevel('read', 'Customer', 'nationalId', ownCustomer)).toBe('clear');
    now = Date.parse('2030-06-01T13:00:00Z');
    expect(policy.can('read', 'Customer', teammateCustomer)).toBe(false);
    expect(policy.can('read', 'Customer')).toBe(true); // the role's rule is still there
    expect(policy.fieldLevel('read', 'Customer', 'nationalId', ownCustomer)).toBe('masked');
    expect(policy.activeRulesFor('read', 'Customer').every((r) => r.source.kind === 'role')).toBe(true);
  });
});

describe('Explicit deny', () => {
  const denyExport: Permission = { action: 'export', subject: 'Customer', deny: true };
  const denyTeamA1: Permission = { action: 'read', subject: 'Customer', deny: true, conditions: { team: 'mine' } };

  it('beats an allowing rule, whatever the order of roles', () => {
    const roles = { ...DEFAULT_ROLES_BY_NAME, noExport: role('noExport', [denyExport]) };
    for (const order of [['staff', 'noExport'], ['noExport', 'staff']]) {
      const policy = policyFor({ ...staff, roles: order }, { roles });
      expect(policy.can('export', 'Customer', ownCustomer)).toBe(false);
      expect(policy.can('export', 'Customer')).toBe(false);
      expect(policy.can('read', 'Customer', ownCustomer)).toBe(true);
    }
  });

  it('beats a grant, and a grant’s deny beats a role', () => {
    const roles = { ...DEFAULT_ROLES_BY_NAME, noTeam: role('noTeam', [denyTeamA1]) };
    const policy = policyFor({ ...staff, roles: ['staff', 'noTeam'] }, { roles, grants: [grant({ userId: 'u-staff', permissions: [revealTeam] })] });
    expect(policy.can('read', 'Customer', teammateCustomer)).toBe(false);
    expect(policy.fieldLevel('read', 'Customer', 'name', teammateCustomer)).toBe('none');
    // a conditional deny does not forbid the action in general (CASL semantics without a resource)
    expect(policy.can('read', 'Customer')).toBe(true);
    const viaGrant = policyFor(staff, { grants: [grant({ userId: 'u-staff', permissions: [denyExport] })] });
    expect(viaGrant.can('export', 'Customer', ownCustomer)).toBe(false);
  });

  it('applies to manage/all as wildcards', () => {
    const roles = { ...DEFAULT_ROLES_BY_NAME, frozen: role('frozen', [{ action: 'manage', subject: 'all', deny: true }]) };
    const policy = policyFor({ ...staff, roles: ['staff', 'frozen'] }, { roles });
    expect(policy.can('read', 'Customer', ownCustomer)).toBe(false);
    expect(policy.visibleFields('read', 'Customer', ['name'], ownCustomer)).toEqual([]);
  });

  it('with fields caps those fields without forbidding the action', () => {
    const roles = {
      ...DEFAULT_ROLES_BY_NAME,
      capped: role('capped', [{ action: 'read', subject: 'Customer', deny: true, fields: { mobile: 'masked', email: 'none' } }]),
    };
    const policy = policyFor({ ...staff, roles: ['staff', 'capped'] }, { roles });
    expect(policy.can('read', 'Customer', ownCustomer)).toBe(true);
    expect(policy.fieldLevels('read', 'Customer', ['mobile', 'email', 'nationalId', 'name'], ownCustomer)).toEqual({
      mobile: 'masked',
      email: 'none',
      nationalId: 'masked',
      name: 'clear',
    });
  });
});

describe('Field defaults', () => {
  it('is none for a sensitive field a rule does not name, clear for another field; * covers only non-sensitive fields', () => {
    const roles = {
      plain: role('plain', [{ action: 'read', subject: 'Customer' }]),
      star: role('star', [{ action: 'read', subject: 'Customer', fields: { '*': 'clear' } }]),
    };
    const plain = policyFor(user('u-x', { roles: ['plain'] }), { roles });
    expect(plain.fieldLevels('read', 'Customer', ['mobile', 'company'])).toEqual({ mobile: 'none', company: 'clear' });
    const star = policyFor(user('u-x', { roles: ['star'] }), { roles });
    expect(star.fieldLevel('read', 'Customer', 'address')).toBe('none');
  });

  it('without a resource gives the best level over the records the user may act on', () => {
    expect(policyFor(staff).fieldLevel('read', 'Customer', 'mobile')).toBe('clear');
    expect(policyFor(ROLE_USERS.admin).fieldLevel('read', 'Customer', 'mobile')).toBe('none');
  });
});

describe('createPolicy', () => {
  const valid = (): CompiledAbility => compileAbility({ user: staff, roles: DEFAULT_ROLES_BY_NAME, grants: [], now: NOW });

  it.each([
    ['an unknown action', (c: CompiledAbility) => ((c.rules[0].action as string[]) = ['fly'])],
    ['an unknown subject', (c: CompiledAbility) => ((c.rules[0] as { subject: string }).subject = 'Spaceship')],
    ['an unknown condition', (c: CompiledAbility) => ((c.rules[0] as { conditions: unknown }).conditions = { ownerId: 'u', any: 1 })],
    ['empty conditions', (c: CompiledAbility) => ((c.rules[0] as { conditions: unknown }).conditions = {})],
    ['an unknown field level', (c: CompiledAbility) => ((c.rules[0].fields as Record<string, string>).mobile = 'partial')],
    ['a grant rule without expiry', (c: CompiledAbility) => (c.rules[0].source = { kind: 'grant', id: 'g' })],
    ['no rules list', (c: CompiledAbility) => ((c as { rules: unknown }).rules = null)],
  ])('refuses a compiled policy with %s (fail closed)', (_what, corrupt) => {
    const compiled = valid();
    corrupt(compiled);
    expect(() => createPolicy(compiled)).toThrow(PolicyError);
    try {
      createPolicy(compiled);
    } catch (error) {
      expect((error as PolicyError).code).toBe(PolicyErrorCode.MalformedPolicy);
      expect((error as PolicyError).status).toBe(500);
    }
  });

  it('denies actions and subjects it does not know', () => {
    const policy = policyFor(staff);
    expect(policy.can('fly' as never, 'Customer')).toBe(false);
    expect(policy.can('read', 'Spaceship' as never)).toBe(false);
    expect(policy.cannot('read', 'Customer', teammateCustomer)).toBe(true);
  });
});
