import type { UserCreatedData, UserEvent, UserStatus } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { CreateUser, UserCommand } from './user.commands';
import { decide, evolve, initialUserState, rolesRemovedBy, teamChangedBy, type UserState } from './user.decider';
import { UserError, UserErrorCode } from './user.exception';

/** `given(past events).when(command).then(new events)` or `.thenThrows(code, status)`. */
function given(past: readonly UserEvent[]) {
  const state = past.reduce<UserState>(evolve, initialUserState);
  return {
    when(command: UserCommand) {
      const run = () => decide(command, state);
      return {
        then(expected: readonly UserEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: UserErrorCode, status: number): UserError {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(UserError);
          expect(thrown).toMatchObject({ code, status });
          return thrown as UserError;
        },
      };
    },
  };
}

const userId = uuidv7();
const create = (overrides: Partial<CreateUser['data']> = {}): CreateUser => ({
  type: 'CreateUser',
  data: {
    userId,
    username: 'ada.lovelace',
    displayName: 'Ada Lovelace',
    maskedEmail: 'a***@example.com',
    roles: ['staff'],
    teamId: null,
    managerId: null,
    clearance: 'internal',
    ...overrides,
  },
});
const createdData: UserCreatedData = {
  userId,
  username: 'ada.lovelace',
  displayName: 'Ada Lovelace',
  email: 'a***@example.com',
  roles: ['staff'],
  teamId: null,
  managerId: null,
  clearance: 'internal',
  status: 'active',
};
const created: UserEvent = { type: 'UserCreated', data: createdData };
const statusChanged = (from: UserStatus, to: UserStatus): UserEvent => ({
  type: 'UserStatusChanged',
  data: { userId, from, to, reason: null },
});
const changeStatus = (to: UserStatus, reason: string | null = null): UserCommand => ({ type: 'ChangeUserStatus', data: { userId, to, reason } });

describe('User', () => {
  describe('CreateUser', () => {
    it('records UserCreated, active, with the masked e-mail only', () => {
      given([]).when(create()).then([created]);
    });

    it('refuses a second creation of the same user with USER_ALREADY_EXISTS (409)', () => {
      given([created]).when(create()).thenThrows(UserErrorCode.AlreadyExists, 409);
    });
  });

  describe('UpdateUser', () => {
    it('records only the fields that change', () => {
      given([created])
        .when({ type: 'UpdateUser', data: { userId, displayName: 'Ada King', roles: ['staff'], clearance: 'confidential' } })
        .then([{ type: 'UserUpdated', data: { userId, displayName: 'Ada King', clearance: 'confidential' } }]);
    });

    it('records nothing when nothing changes (roles compared as a set)', () => {
      given([{ type: 'UserCreated', data: { ...createdData, roles: ['staff', 'hr'] } }])
        .when({ type: 'UpdateUser', data: { userId, roles: ['hr', 'staff'], teamId: null } })
        .then([]);
    });

    it('refuses an unknown user with USER_NOT_FOUND (404)', () => {
      given([]).when({ type: 'UpdateUser', data: { userId, displayName: 'X' } }).thenThrows(UserErrorCode.NotFound, 404);
    });
  });

  describe('ChangeUserStatus', () => {
    it('marks an active user departing, and back', () => {
      given([created])
        .when(changeStatus('departing', 'notice given'))
        .then([{ type: 'UserStatusChanged', data: { userId, from: 'active', to: 'departing', reason: 'notice given' } }]);
      given([created, statusChanged('active', 'departing')])
        .when(changeStatus('active'))
        .then([{ type: 'UserStatusChanged', data: { userId, from: 'departing', to: 'active', reason: null } }]);
    });

    it('disables a departing user (UserStatusChanged and UserDisabled)', () => {
      given([created, statusChanged('active', 'departing')])
        .when(changeStatus('disabled'))
        .then([statusChanged('departing', 'disabled'), { type: 'UserDisabled', data: { userId, reason: null } }]);
    });

    it.each<UserStatus>(['active', 'departing', 'disabled'])('offboards a %s user', (from) => {
      const past = from === 'active' ? [created] : [created, statusChanged('active', from)];
      given(past).when(changeStatus('offboarded')).then([statusChanged(from, 'offboarded')]);
    });

    it.each<UserStatus>(['active', 'departing', 'disabled'])('never brings an offboarded user back to %s (409)', (to) => {
      const error = given([created, statusChanged('active', 'offboarded')]).when(changeStatus(to)).thenThrows(UserErrorCode.InvalidTransition, 409);
      expect(error.message).toBe(`a offboarded user cannot become ${to}`);
    });

    it('refuses disabled → departing (USER_INVALID_STATUS_TRANSITION, 409)', () => {
      given([created, statusChanged('active', 'disabled')]).when(changeStatus('departing')).thenThrows(UserErrorCode.InvalidTransition, 409);
    });

    it('refuses to update an offboarded user (USER_OFFBOARDED, 409)', () => {
      given([created, statusChanged('active', 'offboarded')])
        .when({ type: 'UpdateUser', data: { userId, roles: ['admin'] } })
        .thenThrows(UserErrorCode.Offboarded, 409);
    });

    it('accepts any role name, such as auditor or a custom role (the service checks it exists)', () => {
      given([]).when(create({ roles: ['auditor', 'branch_reviewer'] })).then([{ type: 'UserCreated', data: { ...createdData, roles: ['auditor', 'branch_reviewer'] } }]);
    });

    it('disabling records UserStatusChanged and UserDisabled', () => {
      given([created])
        .when({ type: 'ChangeUserStatus', data: { userId, to: 'disabled', reason: 'left the company' } })
        .then([
          { type: 'UserStatusChanged', data: { userId, from: 'active', to: 'disabled', reason: 'left the company' } },
          { type: 'UserDisabled', data: { userId, reason: 'left the company' } },
        ]);
    });

    it('re-enables a disabled user', () => {
      given([created, statusChanged('active', 'disabled')])
        .when({ type: 'ChangeUserStatus', data: { userId, to: 'active', reason: null } })
        .then([{ type: 'UserStatusChanged', data: { userId, from: 'disabled', to: 'active', reason: null } }]);
    });

    it('records nothing when the status is already the one asked for', () => {
      given([created]).when({ type: 'ChangeUserStatus', data: { userId, to: 'active', reason: null } }).then([]);
    });
  });

  describe('ChangePassword', () => {
    it('records PasswordChanged with the user id only', () => {
      given([created]).when({ type: 'ChangePassword', data: { userId } }).then([{ type: 'PasswordChanged', data: { userId } }]);
    });
  });

  describe('EnableMfa', () => {
    it('records MfaEnabled once', () => {
      given([created]).when({ type: 'EnableMfa', data: { userId } }).then([{ type: 'MfaEnabled', data: { userId } }]);
    });

    it('refuses a second enabling with MFA_ALREADY_ENABLED (409)', () => {
      given([created, { type: 'MfaEnabled', data: { userId } }])
        .when({ type: 'EnableMfa', data: { userId } })
        .thenThrows(UserErrorCode.MfaAlreadyEnabled, 409);
    });
  });

  describe('rolesRemovedBy (the sessions of a user who loses a role end)', () => {
    const holding = (roles: string[]): UserState => [created, { type: 'UserUpdated', data: { userId, roles } } as UserEvent].reduce<UserState>(evolve, initialUserState);
    const rolesUpdate = (roles: string[]): UserCommand => ({ type: 'UpdateUser', data: { userId, roles } });

    it('names the roles an update takes away', () => {
      const state = holding(['admin', 'staff']);
      expect(rolesRemovedBy(state, decide(rolesUpdate(['staff']), state))).toEqual(['admin']);
      expect(rolesRemovedBy(state, decide(rolesUpdate(['auditor']), state))).toEqual(['admin', 'staff']);
    });

    it('names none when roles are only added or reordered, or nothing about roles changes', () => {
      const state = holding(['admin', 'staff']);
      expect(rolesRemovedBy(state, decide(rolesUpdate(['staff', 'admin', 'hr']), state))).toEqual([]);
      expect(rolesRemovedBy(state, decide(rolesUpdate(['staff', 'admin']), state))).toEqual([]);
      expect(rolesRemovedBy(state, decide({ type: 'UpdateUser', data: { userId, displayName: 'Ada King' } }, state))).toEqual([]);
      expect(rolesRemovedBy(state, decide(changeStatus('departing'), state))).toEqual([]);
    });

    it('names none for a user being created', () => {
      expect(rolesRemovedBy(initialUserState, decide(create(), initialUserState))).toEqual([]);
    });
  });

  describe('teamChangedBy (the sessions of a user moved to another team end)', () => {
    const inTeam = (teamId: string | null): UserState =>
      [created, { type: 'UserUpdated', data: { userId, teamId } } as UserEvent].reduce<UserState>(evolve, initialUserState);
    const move = (teamId: string | null): UserCommand => ({ type: 'UpdateUser', data: { userId, teamId } });

    it('is true when an update moves the user to another team, or out of their team, or into one', () => {
      expect(teamChangedBy(inTeam('team-1'), decide(move('team-2'), inTeam('team-1')))).toBe(true);
      expect(teamChangedBy(inTeam('team-1'), decide(move(null), inTeam('team-1')))).toBe(true);
      expect(teamChangedBy(inTeam(null), decide(move('team-1'), inTeam(null)))).toBe(true);
    });

    it('is false when the team stays, other fields change, or the user is being created', () => {
      expect(teamChangedBy(inTeam('team-1'), decide(move('team-1'), inTeam('team-1')))).toBe(false);
      expect(teamChangedBy(inTeam('team-1'), decide({ type: 'UpdateUser', data: { userId, displayName: 'Ada King' } }, inTeam('team-1')))).toBe(false);
      expect(teamChangedBy(inTeam('team-1'), decide(changeStatus('departing'), inTeam('team-1')))).toBe(false);
      expect(teamChangedBy(initialUserState, decide(create(), initialUserState))).toBe(false);
    });
  });

  describe('evolve', () => {
    it('applies updates and status changes to the state', () => {
      const state = [
        created,
        { type: 'UserUpdated', data: { userId, teamId: 'team-1', roles: ['supervisor'] } } as UserEvent,
        statusChanged('active', 'departing'),
      ].reduce<UserState>(evolve, initialUserState);
      expect(state).toMatchObject({ status: 'departing', id: userId, teamId: 'team-1', roles: ['supervisor'], displayName: 'Ada Lovelace' });
    });
  });
});
