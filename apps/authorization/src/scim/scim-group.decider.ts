import { MAX_GROUP_MEMBERS_PER_EVENT, type ScimGroupEvent } from '@warden/contracts';
import { ScimError } from './scim.exception';

/**
 * Stream `scim-group-<groupId>`: a SCIM group, the Warden role it maps to (or none) and its members.
 * The display name itself lives in the `scim_groups` table only (events carry ids and role names).
 */
export type ScimGroupState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; groupId: string; role: string | null; members: ReadonlySet<string> };

export const initialScimGroupState: ScimGroupState = { status: 'none' };

export const scimGroupStreamId = (groupId: string): string => `scim-group-${groupId}`;

/** The whole desired group: what POST and PUT give, and what a PATCH results in. */
export type ScimGroupCommand =
  | { type: 'CreateGroup'; data: { groupId: string; role: string | null; members: readonly string[] } }
  | { type: 'ReplaceGroup'; data: { groupId: string; role: string | null; members: readonly string[] } }
  | { type: 'DeleteGroup'; data: { groupId: string } };

/**
 * The Warden role a group grants: the role whose name is the group's display name (trimmed, any
 * case: identity providers name groups `Supervisor` or `SECURITY_OFFICER`), if that role exists;
 * otherwise none.
 */
export function roleOfGroup(displayName: string, knownRoles: ReadonlySet<string>): string | null {
  const candidate = displayName.trim().toLowerCase();
  return knownRoles.has(candidate) ? candidate : null;
}

const chunks = (ids: readonly string[]): string[][] => {
  const sorted = [...ids].sort();
  const result: string[][] = [];
  for (let i = 0; i < sorted.length; i += MAX_GROUP_MEMBERS_PER_EVENT) result.push(sorted.slice(i, i + MAX_GROUP_MEMBERS_PER_EVENT));
  return result;
};

const added = (groupId: string, role: string | null, ids: readonly string[]): ScimGroupEvent[] =>
  chunks(ids).map((userIds) => ({ type: 'ScimGroupMembersAdded', data: { groupId, role, userIds } }));

const removed = (groupId: string, role: string | null, ids: readonly string[]): ScimGroupEvent[] =>
  chunks(ids).map((userIds) => ({ type: 'ScimGroupMembersRemoved', data: { groupId, role, userIds } }));

/**
 * Pure. Creation records the group and its first members. A replacement records, in this order,
 * the members who left (with the role they held through the group), a change of the mapped role
 * (which then applies to every remaining member), and the members who joined (with the new role);
 * nothing when nothing changed. Deletion removes every member, then the group.
 */
export function decide(command: ScimGroupCommand, state: ScimGroupState): ScimGroupEvent[] {
  switch (command.type) {
    case 'CreateGroup': {
      if (state.status !== 'none') throw ScimError.uniqueness(`Group ${command.data.groupId} already exists`);
      const { groupId, role, members } = command.data;
      return [{ type: 'ScimGroupCreated', data: { groupId, role } }, ...added(groupId, role, [...new Set(members)])];
    }
    case 'ReplaceGroup': {
      if (state.status !== 'active') throw ScimError.notFound(`Group ${command.data.groupId} not found`);
      const { groupId, role } = command.data;
      const desired = new Set(command.data.members);
      const leaving = [...state.members].filter((id) => !desired.has(id));
      const joining = [...desired].filter((id) => !state.members.has(id));
      const events: ScimGroupEvent[] = removed(groupId, state.role, leaving);
      if (role !== state.role) events.push({ type: 'ScimGroupRoleChanged', data: { groupId, from: state.role, to: role } });
      events.push(...added(groupId, role, joining));
      return events;
    }
    case 'DeleteGroup': {
      if (state.status !== 'active') throw ScimError.notFound(`Group ${command.data.groupId} not found`);
      return [...removed(state.groupId, state.role, [...state.members]), { type: 'ScimGroupDeleted', data: { groupId: state.groupId, role: state.role } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

export function evolve(state: ScimGroupState, event: ScimGroupEvent): ScimGroupState {
  switch (event.type) {
    case 'ScimGroupCreated':
      return { status: 'active', groupId: event.data.groupId, role: event.data.role, members: new Set() };
    case 'ScimGroupRoleChanged':
      return state.status === 'none' ? state : { ...state, role: event.data.to };
    case 'ScimGroupMembersAdded':
      return state.status === 'none' ? state : { ...state, members: new Set([...state.members, ...event.data.userIds]) };
    case 'ScimGroupMembersRemoved': {
      if (state.status === 'none') return state;
      const gone = new Set(event.data.userIds);
      return { ...state, members: new Set([...state.members].filter((id) => !gone.has(id))) };
    }
    case 'ScimGroupDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted', members: new Set() };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
