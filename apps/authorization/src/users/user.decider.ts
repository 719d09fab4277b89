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
      /** Required to present a second factor from the next login on (RequireMfa). */
      mfaRequired: boolean;
      departingEffectiveAt: string | null;
      frozen: boolean;
      /** Restrictions by id: still in force (until their `until`) or lifted. */
      restrictions: Record<string, 'imposed' | 'lifted'>;
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

/** The longest a restriction may last, from when it is imposed. */
export const MAX_RESTRICTION_DAYS = 90;

const notFound = (userId: string) => new UserError(UserErrorCode.NotFound, `user ${userId} not found`);

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
      if (c.username !== undefined && c.username !== state.username) changes.username = c.username;
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
    case 'MarkDeparting': {
      if (state.status === 'none') throw notFound(command.data.userId);
      if (state.status === 'offboarded') throw new UserError(UserErrorCode.Offboarded, `user ${state.id} is offboarded`);
      const effectiveAt = new Date(command.data.effectiveAt).toISOString();
      const marked: UserEvent = { type: 'UserMarkedDeparting', data: { userId: state.id, effectiveAt } };
      if (state.status === 'active') {
        return [{ type: 'UserStatusChanged', data: { userId: state.id, from: 'active', to: 'departing', reason: 'departing' } }, marked];
      }
      // Departing already: only a new date is news. Disabled: stays disabled (stricter), the date is recorded.
      return state.departingEffectiveAt === effectiveAt ? [] : [marked];
    }
    case 'CancelDeparture': {
      if (state.status === 'none') throw notFound(command.data.userId);
      if (state.status === 'offboarded' || state.frozen) throw new UserError(UserErrorCode.Offboarded, `user ${state.id} is offboarded`);
      const cancelled: UserEvent = {
        type: 'UserDepartureCancelled',
        data: { userId: state.id, effectiveAt: state.departingEffectiveAt, reason: command.data.reason },
      };
      if (state.status === 'departing') {
        return [{ type: 'UserStatusChanged', data: { userId: state.id, from: 'departing', to: 'active', reason: 'departure_cancelled' } }, cancelled];
      }
      // Active or disabled: only a recorded date is left to clear (a disabled user stays disabled).
      return state.departingEffectiveAt === null ? [] : [cancelled];
    }
    case 'FreezeUser': {
      if (state.status === 'none') throw notFound(command.data.userId);
      if (state.frozen) return [];
      const { reason, sessionsRevoked, grantsRevoked } = command.data;
      const frozen: UserEvent = { type: 'UserFrozen', data: { userId: state.id, reason, sessionsRevoked, grantsRevoked } };
      if (state.status === 'offboarded') return [frozen];
      return [{ type: 'UserStatusChanged', data: { userId: state.id, from: state.status, to: 'offboarded', reason } }, frozen];
    }
    case 'RequireMfa': {
      if (state.status === 'none') throw notFound(command.data.userId);
      if (state.mfaRequired) return [];
      return [{ type: 'UserMfaRequired', data: { userId: state.id, reason: command.data.reason } }];
    }
    case 'ImposeRestriction': {
      if (state.status === 'none') throw notFound(command.data.userId);
      const { restrictionId, action, until, reason, now } = command.data;
      if (state.restrictions[restrictionId]) throw new UserError(UserErrorCode.InvalidRestriction, `restriction ${restrictionId} already exists`);
      const untilMs = Date.parse(until);
      const nowMs = Date.parse(now);
      if (Number.isNaN(untilMs) || untilMs <= nowMs) throw new UserError(UserErrorCode.InvalidRestriction, 'body.until: must be in the future');
      if (untilMs - nowMs > MAX_RESTRICTION_DAYS * 24 * 3600 * 1000) {
        throw new UserError(UserErrorCode.InvalidRestriction, `body.until: must be at most ${MAX_RESTRICTION_DAYS} days ahead`);
      }
      return [
        { type: 'UserRestrictionImposed', data: { restrictionId, userId: state.id, action, until: new Date(untilMs).toISOString(), reason } },
      ];
    }
    case 'LiftRestriction': {
      if (state.status === 'none') throw notFound(command.data.userId);
      const current = state.restrictions[command.data.restrictionId];
      if (!current) throw new UserError(UserErrorCode.RestrictionNotFound, `restriction ${command.data.restrictionId} not found`);
      if (current === 'lifted') return [];
      return [{ type: 'UserRestrictionLifted', data: { restrictionId: command.data.restrictionId, userId: state.id } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/**
 * Pure: the roles `events` take away from the user (held in `state`, no longer held after them).
 * The access tokens of the user's sessions still name those roles: whoever appends such events
 * ends those sessions (see `UserService`).
 */
export function rolesRemovedBy(state: UserState, events: readonly UserEvent[]): string[] {
  if (state.status === 'none') return [];
  const after = events.reduce(evolve, state);
  const kept = new Set(after.status === 'none' ? [] : after.roles);
  return state.roles.filter((role) => !kept.has(role));
}

/**
 * Pure: whether the events move an existing user to another team (or out of one). Access tokens
 * name the team they were issued with, and services act on it (an export's team decides its
 * approval policy and approvers), so the old tokens must not outlive the move.
 */
export function teamChangedBy(state: UserState, events: readonly UserEvent[]): boolean {
  if (state.status === 'none') return false;
  const after = events.reduce(evolve, state);
  return after.status !== 'none' && after.teamId !== state.teamId;
}

/** Pure: the user's state after an event. */
export function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserCreated': {
      const { userId, ...rest } = event.data;
      return {
        ...rest,
        roles: [...rest.roles],
        id: userId,
        mfa: false,
        mfaRequired: false,
        departingEffectiveAt: null,
        frozen: false,
        restrictions: {},
      };
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
    case 'UserMarkedDeparting':
      return state.status === 'none' ? state : { ...state, departingEffectiveAt: event.data.effectiveAt };
    case 'UserDepartureCancelled':
      return state.status === 'none' ? state : { ...state, departingEffectiveAt: null };
    case 'UserFrozen':
      return state.status === 'none' ? state : { ...state, frozen: true };
    case 'UserMfaRequired':
      return state.status === 'none' ? state : { ...state, mfaRequired: true };
    case 'UserRestrictionImposed':
      return state.status === 'none' ? state : { ...state, restrictions: { ...state.restrictions, [event.data.restrictionId]: 'imposed' } };
    case 'UserRestrictionLifted':
      return state.status === 'none' ? state : { ...state, restrictions: { ...state.restrictions, [event.data.restrictionId]: 'lifted' } };
    case 'UserDisabled':
    case 'PasswordChanged':
      return state;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
