import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import type { Policy } from './ability';
import { DEFAULT_ROLES_BY_NAME } from './default-roles';
import { CUSTOMERS, ROLE_USERS, grant, policyFor, user, type CustomerRow } from './policy.fixtures';
import type { Action, Permission } from './policy.types';
import { toSqlFilter } from './sql';

/**
 * The SQL filter selects in Postgres exactly the rows `policy.can` allows, role by role, including
 * NULL attributes, deny rules and hostile ids.
 */
describe('toSqlFilter against Postgres', () => {
  let dataSource: DataSource;
  let schema: string;
  let table: string;
  const columns = { ownerId: 'owner_id', teamId: 'team_id', classification: 'classification', sharedWith: 'shared_with' };

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('policy_sql'));
    table = `"${schema}".customers`;
    await dataSource.query(
      `CREATE TABLE ${table} (id text PRIMARY KEY, name text NOT NULL, owner_id text, team_id text, classification text, shared_with text[])`,
    );
    for (const c of CUSTOMERS) {
      await dataSource.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6)`, [
        c.id,
        c.name,
        c.ownerId,
        c.teamId,
        c.classification,
        c.sharedWith,
      ]);
    }
  });

  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  async function selected(policy: Policy, action: Action): Promise<string[]> {
    // one parameter first, to exercise the offset
    const filter = toSqlFilter(policy, action, 'Customer', { columns, paramOffset: 1 });
    const rows: { id: string }[] = await dataSource.query(
      `SELECT id FROM ${table} WHERE name <> $1 AND ${filter.sql} ORDER BY id`,
      ['no such name', ...filter.params],
    );
    return rows.map((row) => row.id);
  }

  const allowed = (policy: Policy, action: Action): string[] =>
    CUSTOMERS.filter((c: CustomerRow) => policy.can(action, 'Customer', c))
      .map((c) => c.id)
      .sort();

  describe.each(Object.keys(ROLE_USERS))('role %s', (role) => {
    it.each(['read', 'update', 'export'] as const)('selects exactly the rows it may %s', async (action) => {
      const policy = policyFor(ROLE_USERS[role]);
      expect(await selected(policy, action)).toEqual(allowed(policy, action));
    });
  });

  it('selects a non-empty, non-total set for the record-scoped roles (the comparison means something)', async () => {
    for (const role of ['staff', 'supervisor', 'partner', 'auditor']) {
      const rows = await selected(policyFor(ROLE_USERS[role]), 'read');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(CUSTOMERS.length);
    }
  });

  it('ORs a grant with the role and subtracts a deny rule', async () => {
    const reveal: Permission = { action: 'read', subject: 'Customer', conditions: { team: 'mine', classification: 'within-clearance' } };
    const withGrant = policyFor(ROLE_USERS.staff, { grants: [grant({ userId: 'u-staff', permissions: [reveal] })] });
    expect(await selected(withGrant, 'read')).toEqual(allowed(withGrant, 'read'));
    expect(await selected(withGrant, 'read')).toContain('c-other-a1');

    const roles = {
      ...DEFAULT_ROLES_BY_NAME,
      noShared: {
        name: 'noShared',
        description: 'no shared',
        mfaRequired: false,
        permissions: [{ action: 'read', subject: 'Customer', deny: true, conditions: { sharedWithMe: true } } as Permission],
      },
    };
    const denied = policyFor({ ...ROLE_USERS.supervisor, userId: 'u-partner', roles: ['supervisor', 'noShared'] }, { roles });
    const rows = await selected(denied, 'read');
    expect(rows).toEqual(allowed(denied, 'read'));
    expect(rows).not.toContain('c-other-a1'); // shared with u-partner: denied
    expect(rows).toContain('c-staff-own'); // shared_with '{}' and NULL rows stay allowed
    expect(rows).toContain('c-staff-conf');
  });

  it('keeps hostile user and team ids as parameters', async () => {
    const hostileOwner = CUSTOMERS.find((c) => c.id === 'c-hostile')!;
    const owner = policyFor(user(hostileOwner.ownerId!, { roles: ['staff'] }));
    expect(await selected(owner, 'read')).toEqual(['c-hostile']);
    const supervisor = policyFor(user('u-sup3', { roles: ['supervisor'], teamIds: [hostileOwner.teamId!, "' OR TRUE --"] }));
    expect(await selected(supervisor, 'read')).toEqual(['c-hostile']);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM ${table}`);
    expect(count).toBe(CUSTOMERS.length);
  });
});
