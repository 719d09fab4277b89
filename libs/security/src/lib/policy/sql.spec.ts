import { DEFAULT_ROLES_BY_NAME } from './default-roles';
import { PolicyError, PolicyErrorCode } from './policy.exception';
import { NOW, ROLE_USERS, grant, policyFor, user } from './policy.fixtures';
import type { Permission, RoleDefinition } from './policy.types';
import { toSqlFilter, type PolicySqlColumns } from './sql';

const columns: PolicySqlColumns = {
  ownerId: 'owner_id',
  teamId: 'team_id',
  classification: 'classification',
  sharedWith: 'shared_with',
};
const UP_TO_CONFIDENTIAL = ['public', 'internal', 'confidential'];
const role = (name: string, permissions: Permission[]): RoleDefinition => ({ name, description: name, permissions, mfaRequired: false });

describe('toSqlFilter', () => {
  it('turns an owner rule into parameters, numbered from the offset', () => {
    expect(toSqlFilter(policyFor(ROLE_USERS.staff), 'read', 'Customer', { columns, paramOffset: 2 })).toEqual({
      sql: '("owner_id" = $3 AND "classification" = ANY($4))',
      params: ['u-staff', UP_TO_CONFIDENTIAL],
    });
  });

  it('turns a team rule into membership of the resolved teams', () => {
    expect(toSqlFilter(policyFor(ROLE_USERS.supervisor), 'read', 'Customer', { columns })).toEqual({
      sql: '("team_id" = ANY($1) AND "classification" = ANY($2))',
      params: [['team-a', 'team-a1'], UP_TO_CONFIDENTIAL],
    });
  });

  it('turns a sharing rule into array membership', () => {
    expect(toSqlFilter(policyFor(ROLE_USERS.partner), 'read', 'Customer', { columns })).toEqual({
      sql: '("classification" = ANY($1) AND "shared_with" @> ARRAY[$2]::text[])',
      params: [UP_TO_CONFIDENTIAL, 'u-partner'],
    });
  });

  it('ORs the allowing rules of roles and grants', () => {
    const reveal: Permission = { action: 'read', subject: 'Customer', conditions: { team: 'mine' } };
    const policy = policyFor(ROLE_USERS.staff, { grants: [grant({ userId: 'u-staff', permissions: [reveal] })] });
    expect(toSqlFilter(policy, 'read', 'Customer', { columns })).toEqual({
      sql: '(("owner_id" = $1 AND "classification" = ANY($2)) OR ("team_id" = ANY($3)))',
      params: ['u-staff', UP_TO_CONFIDENTIAL, ['team-a1']],
    });
  });

  it('is FALSE when no rule allows the action', () => {
    expect(toSqlFilter(policyFor(ROLE_USERS.admin), 'read', 'Customer', { columns })).toEqual({ sql: 'FALSE', params: [] });
    expect(toSqlFilter(policyFor(ROLE_USERS.staff), 'delete', 'Customer', { columns })).toEqual({ sql: 'FALSE', params: [] });
    expect(toSqlFilter(policyFor(user('u-x', { roles: ['staff'], status: 'disabled' })), 'read', 'Customer', { columns })).toEqual({
      sql: 'FALSE',
      params: [],
    });
  });

  it('is TRUE for a rule without conditions', () => {
    expect(toSqlFilter(policyFor(ROLE_USERS.admin), 'read', 'User', { columns: {} })).toEqual({ sql: 'TRUE', params: [] });
  });

  it('ANDs NOT of deny rules, null-safe, and an unconditional deny makes it FALSE', () => {
    const roles = {
      ...DEFAULT_ROLES_BY_NAME,
      noOwn: role('noOwn', [{ action: 'read', subject: 'Customer', deny: true, conditions: { owner: 'me' } }]),
      noTeam: role('noTeam', [{ action: 'read', subject: 'Customer', deny: true, conditions: { team: 'mine' } }]),
      none: role('none', [{ action: 'read', subject: 'Customer', deny: true }]),
      cap: role('cap', [{ action: 'read', subject: 'Customer', deny: true, fields: { mobile: 'none' } }]),
    };
    const supervisor = policyFor({ ...ROLE_USERS.supervisor, roles: ['supervisor', 'noOwn', 'cap'] }, { roles });
    expect(toSqlFilter(supervisor, 'read', 'Customer', { columns })).toEqual({
      sql: '("team_id" = ANY($1) AND "classification" = ANY($2)) AND ("owner_id" = $3) IS NOT TRUE',
      params: [['team-a', 'team-a1'], UP_TO_CONFIDENTIAL, 'u-sup'],
    });
    const unconditional = policyFor({ ...ROLE_USERS.staff, roles: ['staff', 'none'] }, { roles });
    expect(toSqlFilter(unconditional, 'read', 'Customer', { columns })).toEqual({ sql: 'FALSE', params: [] });
    const allRead = policyFor(user('u-x', { roles: ['reader', 'noTeam'], teamIds: ['t'] }), {
      roles: { ...roles, reader: role('reader', [{ action: 'read', subject: 'Customer' }]) },
    });
    expect(toSqlFilter(allRead, 'read', 'Customer', { columns })).toEqual({
      sql: '("team_id" = ANY($1)) IS NOT TRUE',
      params: [['t']],
    });
  });

  it('leaves out a grant rule once it has expired', () => {
    let now = NOW.getTime();
    const reveal: Permission = { action: 'read', subject: 'Customer', conditions: { team: 'mine' } };
    const policy = policyFor(ROLE_USERS.hr, { grants: [grant({ userId: 'u-hr', permissions: [reveal] })], clock: () => now });
    expect(toSqlFilter(policy, 'read', 'Customer', { columns }).sql).toBe('("team_id" = ANY($1))');
    now = Date.parse('2030-06-02T00:00:00Z');
    expect(toSqlFilter(policy, 'read', 'Customer', { columns }).sql).toBe('FALSE');
  });

  it('keeps hostile ids as parameters, never in the SQL text', () => {
    const hostile = "x' OR '1'='1'; DROP TABLE customers; --";
    const policy = policyFor(user(hostile, { roles: ['supervisor', 'staff'], teamIds: [hostile] }));
    const filter = toSqlFilter(policy, 'read', 'Customer', { columns });
    expect(filter.sql).not.toContain(hostile);
    expect(filter.sql).not.toMatch(/'/);
    expect(filter.params).toEqual([[hostile], UP_TO_CONFIDENTIAL, hostile, UP_TO_CONFIDENTIAL]);
  });

  it('quotes qualified column names', () => {
    const filter = toSqlFilter(policyFor(ROLE_USERS.staff), 'read', 'Customer', {
      columns: { ownerId: 'c.owner_id', classification: 'c.classification' },
    });
    expect(filter.sql).toBe('("c"."owner_id" = $1 AND "c"."classification" = ANY($2))');
  });

  it.each([
    ['owner_id; DROP TABLE customers', { ...columns, ownerId: 'owner_id; DROP TABLE customers' }],
    ['a quoted name', { ...columns, ownerId: '"owner_id"' }],
    ['three parts', { ...columns, ownerId: 's.c.owner_id' }],
    ['an empty name', { ...columns, ownerId: '' }],
    ['a missing mapping', { teamId: 'team_id', classification: 'classification' }],
  ])('refuses %s as a column', (_what, badColumns) => {
    const run = () => toSqlFilter(policyFor(ROLE_USERS.staff), 'read', 'Customer', { columns: badColumns as PolicySqlColumns });
    expect(run).toThrow(PolicyError);
    expect(run).toThrow(expect.objectContaining({ code: PolicyErrorCode.InvalidColumn }));
  });

  it('refuses a bad parameter offset', () => {
    expect(() => toSqlFilter(policyFor(ROLE_USERS.staff), 'read', 'Customer', { columns, paramOffset: -1 })).toThrow(PolicyError);
  });
});
