import type { RoleEvent } from '@warden/contracts';
import type { RoleCommand, RoleDefinitionData } from './role.commands';
import { RoleError, RoleErrorCode } from './role.exception';

export type RoleState = { status: 'none' } | ({ status: 'defined'; builtIn: boolean } & RoleDefinitionData);

export const initialRoleState: RoleState = { status: 'none' };

const sameDefinition = (a: RoleDefinitionData, b: RoleDefinitionData): boolean =>
  a.description === b.description && a.mfaRequired === b.mfaRequired && JSON.stringify(a.permissions) === JSON.stringify(b.permissions);

/** Pure: what a command on a role produces. An empty list: nothing changes. */
export function decide(command: RoleCommand, state: RoleState): RoleEvent[] {
  switch (command.type) {
    case 'DefineRole': {
      if (state.status !== 'none') throw new RoleError(RoleErrorCode.AlreadyExists, `role ${command.data.name} already exists`);
      const { permissions, ...rest } = command.data;
      return [{ type: 'RoleDefined', data: { ...rest, permissions: structuredClone(permissions) } }];
    }
    case 'UpdateRole': {
      if (state.status === 'none') throw new RoleError(RoleErrorCode.NotFound, `role ${command.data.name} not found`);
      if (sameDefinition(command.data, state)) return [];
      const { name, description, permissions, mfaRequired } = command.data;
      return [{ type: 'RoleUpdated', data: { name, description, permissions: structuredClone(permissions), mfaRequired } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/** Pure: the role's state after an event. */
export function evolve(state: RoleState, event: RoleEvent): RoleState {
  switch (event.type) {
    case 'RoleDefined':
      return { status: 'defined', ...event.data };
    case 'RoleUpdated':
      return state.status === 'none' ? state : { ...state, ...event.data };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
