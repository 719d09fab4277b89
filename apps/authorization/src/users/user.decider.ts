import type { Clearance, RoleName, UserEvent, UserStatus, UserUpdatedData } from '@warden/contracts';
import type { UserCommand } from './user.commands';
import { UserError, UserErrorCode } from './user.exception';

export type UserState =
  | { status: 'none' }
  | {
      status: UserStatus;
      id: string;
      username: string;
      displayName: string;
      email: string;
      roles: RoleName[];
      teamId: string | null;
      managerId: string | null;
      clearance: Clearance;
      mfa: boolean;
    };

export const initialUserState: UserState = { status: 'none' };

/**
 * Status changes: active ↔ departing, active/departing → disabled, disabled → active, and any
 * status → offboarded, which is final.
 */
export const ALLOWED_TRANSITIONS: Record<UserStatus, readonly UserStatus[]> = {
  active: ['departing', 'disabled', 'offboarded'],
  departing: ['active', 'disabled', 'offboarded'],
  disabled: ['active', 'offboarded'],
  offboarded: [],
};

/** Statuses that may sign in and refresh: a departing user still works until offboarded. */
export const SIGN_IN_STATUSES: ReadonlySet<string> = new Set<UserStatus>(['active', 'departing']);

/** Statuses that end every session of the user (departing keeps them: they still work). */
export const REVOKING_STATUSES: ReadonlySet<UserStatus> = new Set<UserStatus>(['disabled', 'offboarded']);

const sameRoles = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/** Pure: what a command on a user produces, given the user's state. An empty list: nothing changes. */
export function decide(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'CreateUser': {
      if (state.status !== 'none') throw new UserError(UserErrorCode.AlreadyExists, `user ${command.data.userId} already exists`);
      const { maskedEmail, ...rest } = command.data;
      return [{ type: 'UserCreated', data: { ...rest, roles: [...rest.roles], email: maskedEmail, status: 'active' } }];
    }
    case 'UpdateUser': {
      if (state.status === 'none') throw new UserError(UserErrorCode.NotFound, `user ${command.data.userId} not found`);
      if (state.status === 'offboarded') throw new UserError(UserErrorCode.Offboarded, `user ${state.id} is offboarded`);
      const c = command.data;
      const changes: Omit<UserUpdatedData, 'userId'> = {};
      if (c.displayName !== undefined && c.displayName !== state.displayName) changes.displayName = c.displayName;
      if (c.maskedEmail !== undefined && c.maskedEmail !== state.email) changes.email = c.maskedEmail;
      if (c.roles !== undefined && !sameRoles(c.roles, state.roles)) changes.roles = [...c.roles];
      if (c.teamId !== undefined && c.teamId !== state.teamId) changes.teamId = c.teamId;
      if (c.managerId !== undefined && c.managerId !== state.managerId) changes.managerId = c.managerId;
      if (c.clearance !== undefined && c.clearance !== state.clearance) changes.clearance = c.clearance;
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'UserUpdated', data: { userId: state.id, ...changes } }];
    }
    case 'ChangeUserStatus': {
      if (state.status === 'none') throw new UserError(UserErrorCode.NotFound, `user ${command.data.userId} not found`);
      const { to, reason } = command.data;
      if (to === state.status) return [];
      if (!ALLOWED_TRANSITIONS[state.status].includes(to)) {
        throw new UserError(UserErrorCode.InvalidTransition, `a ${state.status} user cannot become ${to}`);
      }
      const changed: UserEvent = { type: 'UserStatusChanged', data: { userId: state.id, from: state.status, to, reason } };
      return to === 'disabled' ? [changed, { type: 'UserDisabled', data: { userId: state.id, reason } }] : [changed];
    }
    case 'ChangePassword': {
      if (state.status === 'none') throw new UserError(UserErrorCode.NotFound, `user ${command.data.userId} not found`);
      return [{ type: 'PasswordChanged', data: { userId: state.id } }];
    }
    case 'EnableMfa': {
      if (state.status === 'none') throw new UserError(UserErrorCode.NotFound, `user ${command.data.userId} not found`);
      if (state.mfa) throw new UserError(UserErrorCode.MfaAlreadyEnabled, 'two-factor authentication is already enabled');
      return [{ type: 'MfaEnabled', data: { userId: state.id } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/** Pure: the user's state after an event. */
export function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserCreated': {
      const { userId, ...rest } = event.data;
      return { ...rest, roles: [...rest.roles], id: userId, mfa: false };
    }
    case 'UserUpdated': {
      if (state.status === 'none') return state;
      const { userId: _userId, roles, ...rest } = event.data;
      return { ...state, ...rest, ...(roles ? { roles: [...roles] } : {}) };
    }
    case 'UserStatusChanged':
      return state.status === 'none' ? state : { ...state, status: event.data.to };
    case 'MfaEnabled':
      return state.status === 'none' ? state : { ...state, mfa: true };
    case 'UserDisabled':
    case 'PasswordChanged':
      return state;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
