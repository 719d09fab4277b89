import type { ScimGroupEvent } from '@warden/contracts';
import { parseScimGroupFilter } from './scim-filter';
import { decide, evolve, initialScimGroupState, roleOfGroup, type ScimGroupCommand } from './scim-group.decider';
import { applyGroupPatchOps, groupFromResource, type ScimGroupModel } from './scim-group.model';
import { normalisePatchOps } from './scim-patch';

const groupId = '0190f0c8-2222-7000-8000-000000000001';
const alice = '0190f0c8-1111-7000-8000-00000000000a';
const bob = '0190f0c8-1111-7000-8000-00000000000b';
const carol = '0190f0c8-1111-7000-8000-00000000000c';
const ROLES = new Set(['admin', 'security_officer', 'supervisor', 'staff', 'hr', 'auditor', 'partner']);

const given = (events: ScimGroupEvent[]) => {
  const state = events.reduce(evolve, initialScimGroupState);
  return {
    when: (command: ScimGroupCommand) => ({
      then: (expected: ScimGroupEvent[]) => expect(decide(command, state)).toEqual(expected),
      thenFails: (status: number) => expect(() => decide(command, state)).toThrow(expect.objectContaining({ status })),
    }),
  };
};
const created = (role: string | null): ScimGroupEvent => ({ type: 'ScimGroupCreated', data: { groupId, role } });
const added = (role: string | null, ...userIds: string[]): ScimGroupEvent => ({ type: 'ScimGroupMembersAdded', data: { groupId, role, userIds } });
const removed = (role: string | null, ...userIds: string[]): ScimGroupEvent => ({ type: 'ScimGroupMembersRemoved', data: { groupId, role, userIds } });
const replace = (role: string | null, ...members: string[]): ScimGroupCommand => ({ type: 'ReplaceGroup', data: { groupId, role, members } });

describe('SCIM groups', () => {
  describe('which role a group grants', () => {
    it('is the Warden role named by the display name, in any case and spacing', () => {
      expect(roleOfGroup('supervisor', ROLES)).toBe('supervisor');
      expect(roleOfGroup('  Security_Officer ', ROLES)).toBe('security_officer');
      expect(roleOfGroup('HR', ROLES)).toBe('hr');
    });

    it('is none for any other name, including near misses', () => {
      expect(roleOfGroup('Sales EMEA', ROLES)).toBeNull();
      expect(roleOfGroup('supervisors', ROLES)).toBeNull();
      expect(roleOfGroup('security officer', ROLES)).toBeNull();
      expect(roleOfGroup('admin-team', ROLES)).toBeNull();
    });
  });

  describe('decider', () => {
    it('creates a group with its members and the role they get', () => {
      given([])
        .when({ type: 'CreateGroup', data: { groupId, role: 'supervisor', members: [bob, alice, bob] } })
        .then([created('supervisor'), added('supervisor', alice, bob)]);
      given([]).when({ type: 'CreateGroup', data: { groupId, role: null, members: [] } }).then([created(null)]);
      given([created(null)]).when({ type: 'CreateGroup', data: { groupId, role: null, members: [] } }).thenFails(409);
    });

    it('records who joined and who left, and nothing when nothing changed', () => {
      const history = [created('hr'), added('hr', alice, bob)];
      given(history).when(replace('hr', bob, carol)).then([removed('hr', alice), added('hr', carol)]);
      given(history).when(replace('hr', alice, bob)).then([]);
    });

    it('on a rename to another role: leavers lose the old role, the rest follow, newcomers get the new one', () => {
      given([created('staff'), added('staff', alice, bob)])
        .when(replace('supervisor', bob, carol))
        .then([removed('staff', alice), { type: 'ScimGroupRoleChanged', data: { groupId, from: 'staff', to: 'supervisor' } }, added('supervisor', carol)]);
      given([created('staff'), added('staff', alice)])
        .when(replace(null, alice))
        .then([{ type: 'ScimGroupRoleChanged', data: { groupId, from: 'staff', to: null } }]);
    });

    it('deletes by removing every member first; a deleted or unknown group is 404', () => {
      const history = [created('auditor'), added('auditor', alice, bob)];
      given(history)
        .when({ type: 'DeleteGroup', data: { groupId } })
        .then([removed('auditor', alice, bob), { type: 'ScimGroupDeleted', data: { groupId, role: 'auditor' } }]);
      given([...history, removed('auditor', alice, bob), { type: 'ScimGroupDeleted', data: { groupId, role: 'auditor' } }])
        .when({ type: 'DeleteGroup', data: { groupId } })
        .thenFails(404);
      given([]).when(replace(null)).thenFails(404);
    });

    it('splits large membership changes into events of at most 500 ids', () => {
      const many = Array.from({ length: 1203 }, (_, i) => `0190f0c8-3333-7000-8000-${String(i).padStart(12, '0')}`);
      const events = decide({ type: 'CreateGroup', data: { groupId, role: null, members: many } }, initialScimGroupState);
      expect(events.map((e) => (e.type === 'ScimGroupMembersAdded' ? e.data.userIds.length : 0))).toEqual([0, 500, 500, 203]);
    });
  });

  describe('resources and PATCH as identity providers send them', () => {
    const group: ScimGroupModel = { displayName: 'Sales', externalId: null, members: [alice] };
    const patch = (operations: unknown[]) => applyGroupPatchOps(group, normalisePatchOps({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations }));

    it('reads a group resource', () => {
      expect(
        groupFromResource({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: ' HR ', externalId: 'x1', members: [{ value: alice.toUpperCase(), display: 'a' }] }),
      ).toEqual({ displayName: 'HR', externalId: 'x1', members: [alice] });
      expect(() => groupFromResource({ displayName: '' })).toThrow(/displayName/);
      expect(() => groupFromResource({ displayName: 'x', members: [{ value: 'nope' }] })).toThrow(/members\[0\]\.value/);
      expect(() => groupFromResource({ displayName: 'x', members: [{ value: bob, type: 'Group' }] })).toThrow(/nested groups/);
    });

    it('adds and removes members the Entra ID way', () => {
      expect(patch([{ op: 'Add', path: 'members', value: [{ value: bob }, { value: carol }] }]).members).toEqual([alice, bob, carol]);
      expect(patch([{ op: 'Remove', path: 'members', value: [{ value: alice }] }]).members).toEqual([]);
      expect(patch([{ op: 'Replace', path: 'displayName', value: 'supervisor' }]).displayName).toBe('supervisor');
    });

    it('adds and removes members the Okta way', () => {
      expect(patch([{ op: 'add', path: 'members', value: [{ value: bob, display: 'bob@example.com' }] }]).members).toEqual([alice, bob]);
      expect(patch([{ op: 'remove', path: `members[value eq "${alice}"]` }]).members).toEqual([]);
      expect(patch([{ op: 'replace', value: { id: groupId, displayName: 'hr' } }])).toEqual({ ...group, displayName: 'hr' });
      expect(patch([{ op: 'replace', path: 'members', value: [{ value: carol }] }]).members).toEqual([carol]);
    });

    it('refuses what it cannot apply', () => {
      expect(() => patch([{ op: 'remove', path: 'displayName' }])).toThrow(/displayName cannot be removed/);
      expect(() => patch([{ op: 'add', path: 'owners', value: [] }])).toThrow(/not supported on a Group/);
      expect(() => patch([{ op: 'add', path: `members[value eq "${bob}"]`, value: {} }])).toThrow(/can only be removed/);
    });
  });

  describe('filters', () => {
    it('parses displayName, externalId and id equality', () => {
      expect(parseScimGroupFilter('displayName eq "supervisor"')).toEqual([{ attribute: 'displayName', value: 'supervisor' }]);
      expect(parseScimGroupFilter('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x" and externalId eq "e"')).toEqual([
        { attribute: 'displayName', value: 'x' },
        { attribute: 'externalId', value: 'e' },
      ]);
      expect(() => parseScimGroupFilter('userName eq "x"')).toThrow(/not supported/);
      expect(() => parseScimGroupFilter('displayName co "x"')).toThrow(/only "eq"/);
    });
  });
});
