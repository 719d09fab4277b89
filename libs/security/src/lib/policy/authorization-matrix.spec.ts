import { SENSITIVE_CUSTOMER_FIELDS } from './policy.constants';
import { ACTIONS, SUBJECTS, type Action, type FieldLevel, type Subject } from './policy.types';
import { DEFAULT_ROLES } from './default-roles';
import { CUSTOMERS, ROLE_USERS, policyFor, user } from './policy.fixtures';

/**
 * The authorization matrix of the default roles: what each role may do at all (every action ×
 * every subject), on which customer records, and how it sees each sensitive field.
 */

const ALERT_ALL: string[] = ACTIONS.map((action) => `${action} Alert`);

/** Every (action, subject) pair each role may perform on some resource; everything else is denied. */
const ALLOWED: Record<string, string[]> = {
  admin: ['manage-users User', 'manage-roles Role', 'read User', 'read Team', 'read Role'],
  security_officer: ['read Customer', 'view-audit AuditLog', 'approve-export Export', 'approve-grant Grant', ...ALERT_ALL],
  supervisor: ['read Customer', 'approve-export Export', 'approve-grant Grant'],
  staff: ['read Customer', 'create Customer', 'update Customer', 'export Customer'],
  hr: ['offboard User', 'read User', 'read Offboarding'],
  auditor: ['read Customer', 'view-audit AuditLog'],
  partner: ['read Customer'],
};

const roleNames = DEFAULT_ROLES.map((role) => role.name);
const customer = (id: string) => {
  const row = CUSTOMERS.find((c) => c.id === id);
  if (!row) throw new Error(`no fixture ${id}`);
  return row;
};

describe('Authorization matrix of the default roles', () => {
  it('covers every default role', () => {
    expect(Object.keys(ALLOWED).sort()).toEqual([...roleNames].sort());
    expect(Object.keys(ROLE_USERS).sort()).toEqual([...roleNames].sort());
  });

  describe.each(roleNames)('role %s', (role) => {
    const policy = policyFor(ROLE_USERS[role]);
    const cells: [Action, Subject, boolean][] = ACTIONS.flatMap((action) =>
      SUBJECTS.map((subject): [Action, Subject, boolean] => [action, subject, ALLOWED[role].includes(`${action} ${subject}`)]),
    );

    it.each(cells)('%s on %s → %s', (action, subject, expected) => {
      expect(policy.can(action, subject)).toBe(expected);
    });
  });

  it('requires MFA for admin and security_officer only', () => {
    const mfa = DEFAULT_ROLES.filter((role) => role.mfaRequired).map((role) => role.name);
    expect(mfa.sort()).toEqual(['admin', 'security_officer']);
  });

  it('puts every customer rule under the clearance condition', () => {
    for (const role of DEFAULT_ROLES) {
      for (const permission of role.permissions.filter((p) => p.subject === 'Customer')) {
        expect(permission.conditions?.classification).toBe('within-clearance');
      }
    }
  });
});

describe('Customer records', () => {
  /** Which fixture customers each role may read (users at `confidential` clearance). */
  const READABLE: Record<string, string[]> = {
    admin: [],
    hr: [],
    // own customers at or below clearance; not c-staff-restr (restricted), not c-no-class (no level)
    staff: ['c-staff-own', 'c-staff-conf'],
    // team-a and its sub-team team-a1; not team-b (sibling), not restricted
    supervisor: ['c-staff-own', 'c-staff-conf', 'c-other-a1', 'c-other-a'],
    auditor: CUSTOMERS.filter((c) => c.classification && c.classification !== 'restricted').map((c) => c.id),
    security_officer: CUSTOMERS.filter((c) => c.classification && c.classification !== 'restricted').map((c) => c.id),
    // shared with the partner, within clearance; c-shared-restr is restricted
    partner: ['c-other-a1', 'c-other-a'],
  };

  describe.each(roleNames)('role %s', (role) => {
    const policy = policyFor(ROLE_USERS[role]);
    it.each(CUSTOMERS.map((c) => [c.id, READABLE[role].includes(c.id)] as const))('read %s → %s', (id, expected) => {
      expect(policy.can('read', 'Customer', customer(id))).toBe(expected);
    });
  });

  describe('staff', () => {
    const policy = policyFor(ROLE_USERS.staff);
    it('updates and exports their own customers only', () => {
      expect(policy.can('update', 'Customer', customer('c-staff-own'))).toBe(true);
      expect(policy.can('export', 'Customer', customer('c-staff-own'))).toBe(true);
      expect(policy.can('update', 'Customer', customer('c-other-a1'))).toBe(false);
      expect(policy.can('export', 'Customer', customer('c-other-a1'))).toBe(false);
      expect(policy.can('delete', 'Customer', customer('c-staff-own'))).toBe(false);
    });
    it('creates customers only for themselves', () => {
      expect(policy.can('create', 'Customer', { ownerId: 'u-staff', classification: 'internal' })).toBe(true);
      expect(policy.can('create', 'Customer', { ownerId: 'u-other', classification: 'internal' })).toBe(false);
    });
  });

  describe('supervisor', () => {
    it('does not see a sibling team, and sees a sub-team only when it is in teamIds', () => {
      const withSub = policyFor(ROLE_USERS.supervisor);
      const ownTeamOnly = policyFor(user('u-sup2', { roles: ['supervisor'], teamIds: ['team-a'] }));
      expect(withSub.can('read', 'Customer', customer('c-other-a1'))).toBe(true);
      expect(ownTeamOnly.can('read', 'Customer', customer('c-other-a1'))).toBe(false);
      expect(withSub.can('read', 'Customer', customer('c-other-b'))).toBe(false);
      expect(withSub.can('update', 'Customer', customer('c-other-a1'))).toBe(false);
    });
    it('approves exports and grants of their teams only', () => {
      const policy = policyFor(ROLE_USERS.supervisor);
      expect(policy.can('approve-export', 'Export', { teamId: 'team-a1' })).toBe(true);
      expect(policy.can('approve-export', 'Export', { teamId: 'team-b' })).toBe(false);
      expect(policy.can('approve-grant', 'Grant', { teamId: 'team-a' })).toBe(true);
      expect(policy.can('approve-grant', 'Grant', {})).toBe(false);
    });
  });

  it('denies a record above the clearance', () => {
    const internalStaff = policyFor(user('u-staff', { roles: ['staff'], clearance: 'internal' }));
    expect(internalStaff.can('read', 'Customer', customer('c-staff-own'))).toBe(true);
    expect(internalStaff.can('read', 'Customer', customer('c-staff-conf'))).toBe(false);
    const restrictedStaff = policyFor(user('u-staff', { roles: ['staff'], clearance: 'restricted' }));
    expect(restrictedStaff.can('read', 'Customer', customer('c-staff-restr'))).toBe(true);
  });
});

describe('Sensitive customer fields', () => {
  type Row = [role: string, customerId: string, field: string, level: FieldLevel];
  /** On a record the role can read; the level of each sensitive field and of the name. */
  const EXPECTED: Record<string, [string, Record<string, FieldLevel>]> = {
    staff: ['c-staff-own', { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked', name: 'clear' }],
    supervisor: ['c-other-a', { mobile: 'masked', email: 'masked', nationalId: 'masked', address: 'masked', name: 'clear' }],
    partner: ['c-other-a', { mobile: 'masked', email: 'masked', nationalId: 'masked', address: 'masked', name: 'clear' }],
    auditor: ['c-other-b', { mobile: 'none', email: 'none', nationalId: 'none', address: 'none', name: 'clear' }],
    security_officer: ['c-other-b', { mobile: 'none', email: 'none', nationalId: 'none', address: 'none', name: 'clear' }],
    admin: ['c-staff-own', { mobile: 'none', email: 'none', nationalId: 'none', address: 'none', name: 'none' }],
    hr: ['c-staff-own', { mobile: 'none', email: 'none', nationalId: 'none', address: 'none', name: 'none' }],
  };
  const rows: Row[] = Object.entries(EXPECTED).flatMap(([role, [id, levels]]) =>
    [...SENSITIVE_CUSTOMER_FIELDS, 'name'].map((field): Row => [role, id, field, levels[field]]),
  );

  it.each(rows)('%s reading %s sees %s as %s', (role, id, field, level) => {
    expect(policyFor(ROLE_USERS[role]).fieldLevel('read', 'Customer', field, customer(id))).toBe(level);
  });

  it.each(roleNames)('%s sees every field as none on a record they cannot read', (role) => {
    const policy = policyFor(ROLE_USERS[role]);
    const levels = policy.fieldLevels('read', 'Customer', [...SENSITIVE_CUSTOMER_FIELDS, 'name'], customer('c-staff-restr'));
    expect(Object.values(levels).every((level) => level === 'none')).toBe(true);
  });

  it('gives oversight roles ids and names only, nothing else', () => {
    const policy = policyFor(ROLE_USERS.auditor);
    expect(policy.visibleFields('read', 'Customer', ['id', 'name', 'company', 'tags', 'mobile'], customer('c-other-b'))).toEqual([
      'id',
      'name',
    ]);
  });

  it('gives staff a masked level on a teammate customer: none (not their own)', () => {
    expect(policyFor(ROLE_USERS.staff).fieldLevel('read', 'Customer', 'mobile', customer('c-other-a1'))).toBe('none');
  });
});
