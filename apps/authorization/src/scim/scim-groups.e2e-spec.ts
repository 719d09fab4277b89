import { connectTestSchema, dropTestSchema, expectEventually, uniqueName } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { AuthorizationUnderTest } from '../test/e2e-client';

const SCIM = 'application/scim+json';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Resource = Record<string, unknown> & { id: string; members?: Array<{ value: string; display?: string }> };
type ListResponse = { totalResults: number; Resources: Resource[] };

describe('SCIM Groups (running app)', () => {
  let auth: AuthorizationUnderTest;
  let db: DataSource;
  let scimToken = '';

  const scim = async <T = Resource>(path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${auth.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, ...(body === undefined ? {} : { 'content-type': SCIM }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const patch = (id: string, ...Operations: unknown[]) => scim(`/Groups/${id}`, 'PATCH', { schemas: [PATCH_OP], Operations });
  const createGroup = async (displayName: string, members: string[]): Promise<Resource> => {
    const res = await scim('/Groups', 'POST', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
    expect(res.status).toBe(201);
    return res.body;
  };
  const createUser = async (): Promise<string> => {
    const userName = `${uniqueName('scim')}@example.com`;
    const res = await scim('/Users', 'POST', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const rolesOf = async (userId: string): Promise<string[]> => {
    const res = await auth.call<{ roles: string[] }>(`/v1/users/${userId}`, { token: auth.adminToken });
    expect(res.status).toBe(200);
    return [...res.body.roles].sort();
  };

  beforeAll(async () => {
    auth = await AuthorizationUnderTest.launch('e2e_scimgrp');
    db = await connectTestSchema(auth.schema, 'e2e-scimgrp');
    const issued = await auth.call<{ token: string }>('/v1/scim/tokens', { token: auth.adminToken, body: { name: 'entra' } });
    expect(issued.status).toBe(201);
    scimToken = issued.body.token;
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
    await dropTestSchema(db, auth.schema);
  });

  it('announces Groups in discovery', async () => {
    const types = await scim<ListResponse>('/ResourceTypes');
    expect(types.body.Resources.map((r) => r['id'])).toEqual(['User', 'Group']);
    expect((await scim('/ResourceTypes/Group')).body).toMatchObject({ endpoint: '/Groups', schema: GROUP });
    const schemas = await scim<ListResponse>('/Schemas');
    expect(schemas.body.Resources.map((r) => r['id'])).toContain(GROUP);
    expect((await scim(`/Schemas/${GROUP}`)).status).toBe(200);
  });

  it('grants the role a group is named after to its members, and stores other groups granting nothing', async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const supervisors = await createGroup('Supervisor', [alice]);
    expect(supervisors).toMatchObject({ schemas: [GROUP], displayName: 'Supervisor', members: [{ value: alice, display: expect.any(String) }] });
    expect(await rolesOf(alice)).toEqual(['staff', 'supervisor']);

    const sales = await createGroup('Sales EMEA', [alice, bob]);
    expect(await rolesOf(bob)).toEqual(['staff']);
    expect((await scim(`/Groups/${sales.id}`)).body.members?.map((m) => m.value).sort()).toEqual([alice, bob].sort());

    // What Entra ID asks before creating a group.
    const found = await scim<ListResponse>(`/Groups?filter=${encodeURIComponent('displayName eq "supervisor"')}&excludedAttributes=members`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toMatchObject({ id: supervisors.id, displayName: 'Supervisor' });
    expect(found.body.Resources[0].members).toBeUndefined();

    // Events carry ids and role names, never a group's name; the role change is the user's UserUpdated, by system:scim.
    const events: Array<{ type: string; data: Record<string, unknown>; actor: { userId: string } }> = await db.query(
      `SELECT type, data, actor FROM "${auth.schema}".events WHERE stream_id IN ($1, $2) OR (type = 'UserUpdated' AND data->>'userId' = $3) ORDER BY global_position`,
      [`scim-group-${supervisors.id}`, `scim-group-${sales.id}`, alice],
    );
    expect(events.map((e) => [e.type, 'role' in e.data ? e.data['role'] : e.data['roles']])).toEqual([
      ['ScimGroupCreated', 'supervisor'],
      ['ScimGroupMembersAdded', 'supervisor'],
      ['UserUpdated', ['staff', 'supervisor']],
      ['ScimGroupCreated', null],
      ['ScimGroupMembersAdded', null],
    ]);
    expect(events.every((e) => e.actor.userId === 'system:scim')).toBe(true);
    expect(JSON.stringify(events)).not.toMatch(/Sales EMEA|Supervisor/);
  });

  it('removes a role only when no other group and no admin grant still gives it', async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    // bob holds supervisor from an admin, alice from two groups.
    expect((await auth.call(`/v1/users/${bob}`, { method: 'PATCH', token: auth.adminToken, body: { roles: ['staff', 'supervisor'] } })).status).toBe(200);
    const first = await createGroup('supervisor', [alice, bob]);
    const second = await createGroup('SUPERVISOR', [alice]);
    expect(await rolesOf(alice)).toEqual(['staff', 'supervisor']);

    // Entra ID removes with a value list, Okta with a filtered path.
    expect((await patch(first.id, { op: 'Remove', path: 'members', value: [{ value: alice }] })).status).toBe(200);
    expect(await rolesOf(alice)).toEqual(['staff', 'supervisor']);
    expect((await patch(first.id, { op: 'remove', path: `members[value eq "${bob}"]` })).status).toBe(200);
    expect(await rolesOf(bob)).toEqual(['staff', 'supervisor']);

    expect((await scim(`/Groups/${second.id}`, 'DELETE')).status).toBe(204);
    expect(await rolesOf(alice)).toEqual(['staff']);
    expect((await scim(`/Groups/${second.id}`)).status).toBe(404);
    const removed: Array<{ data: { userIds: string[]; role: string } }> = await db.query(
      `SELECT data FROM "${auth.schema}".events WHERE stream_id = $1 AND type = 'ScimGroupMembersRemoved'`,
      [`scim-group-${second.id}`],
    );
    expect(removed.map((e) => e.data)).toEqual([{ groupId: second.id, role: 'supervisor', userIds: [alice] }]);
  });

  it('ends the sessions of a member who loses a role by a membership removal (roles_changed), not of one who keeps it', async () => {
    const leaver = await auth.createUser();
    const keeper = await auth.createUser();
    // keeper holds auditor from an admin too: losing the group changes nothing for them.
    expect((await auth.call(`/v1/users/${keeper.id}`, { method: 'PATCH', token: auth.adminToken, body: { roles: ['staff', 'auditor'] } })).status).toBe(200);
    const group = await createGroup('Auditor', [leaver.id, keeper.id]);
    expect(await rolesOf(leaver.id)).toEqual(['auditor', 'staff']);
    const tokenOf = async (user: { username: string; password: string }) => {
      const res = await auth.login(user.username, user.password);
      expect(res.status).toBe(200);
      return res.body.accessToken;
    };
    const [leaverToken, keeperToken] = [await tokenOf(leaver), await tokenOf(keeper)];

    expect((await patch(group.id, { op: 'Remove', path: 'members', value: [{ value: leaver.id }, { value: keeper.id }] })).status).toBe(200);
    expect([await rolesOf(leaver.id), await rolesOf(keeper.id)]).toEqual([['staff'], ['auditor', 'staff']]);
    await expectEventually(
      async () => {
        const res = await auth.call<{ code: string }>('/v1/roles', { token: leaverToken });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('TOKEN_REVOKED');
      },
      { timeoutMs: 1000 },
    );
    expect((await auth.call('/v1/roles', { token: keeperToken })).status).toBe(200);
    const revoked: Array<{ data: Record<string, unknown>; actor: { userId: string } }> = await db.query(
      `SELECT data, actor FROM "${auth.schema}".events WHERE type = 'SessionRevoked' AND stream_id IN ($1, $2)`,
      [`user-sessions-${leaver.id}`, `user-sessions-${keeper.id}`],
    );
    expect(revoked).toEqual([{ data: { userId: leaver.id, sessionId: null, reason: 'roles_changed' }, actor: expect.objectContaining({ userId: 'system:scim' }) }]);
  });

  it('follows PATCH adds and renames as Entra ID and Okta send them, and PUT', async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const team = await createGroup('Team Blue', []);
    const added = await patch(team.id, { op: 'Add', path: 'members', value: [{ value: alice }, { value: bob }] });
    expect(added.status).toBe(200);
    expect(added.body.members?.map((m) => m.value).sort()).toEqual([alice, bob].sort());
    expect(await rolesOf(alice)).toEqual(['staff']);

    // Renamed after a role: every member gets it (a new policy version); renamed away: they lose it.
    const ability = async () => (await auth.call<{ policyVersion: number }>(`/v1/users/${alice}/ability`, { token: auth.adminToken })).body.policyVersion;
    const before = await ability();
    expect((await patch(team.id, { op: 'Replace', path: 'displayName', value: 'auditor' })).status).toBe(200);
    expect([await rolesOf(alice), await rolesOf(bob)]).toEqual([['auditor', 'staff'], ['auditor', 'staff']]);
    expect(await ability()).toBeGreaterThan(before);
    expect((await patch(team.id, { op: 'replace', value: { id: team.id, displayName: 'Team Blue' } })).status).toBe(200);
    expect(await rolesOf(alice)).toEqual(['staff']);

    const put = await scim(`/Groups/${team.id}`, 'PUT', { schemas: [GROUP], displayName: 'hr', members: [{ value: bob }] });
    expect(put.status).toBe(200);
    expect(put.body.members?.map((m) => m.value)).toEqual([bob]);
    expect([await rolesOf(alice), await rolesOf(bob)]).toEqual([['staff'], ['hr', 'staff']]);
  });

  it('answers bad requests with SCIM errors', async () => {
    const team = await createGroup('Team Red', []);
    const unknownMember = await scim<{ scimType: string; detail: string }>(`/Groups/${team.id}`, 'PATCH', {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: '0190f0c8-9999-7000-8000-000000000000' }] }],
    });
    expect(unknownMember.status).toBe(400);
    expect(unknownMember.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringMatching(/no User/) });
    expect((await patch(team.id, { op: 'add', path: 'owners', value: [] })).status).toBe(400);
    expect((await scim('/Groups', 'POST', { schemas: [GROUP] })).status).toBe(400);
    expect((await scim(`/Groups?filter=${encodeURIComponent('members eq "x"')}`)).status).toBe(400);
    expect((await scim('/Groups/0190f0c8-9999-7000-8000-000000000000')).status).toBe(404);
    const noToken = await fetch(`${auth.url}/scim/v2/Groups`);
    expect(noToken.status).toBe(401);
  });
});
