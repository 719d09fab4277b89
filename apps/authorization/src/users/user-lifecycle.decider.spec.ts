import type { UserEvent } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { UserCommand } from './user.commands';
import { decide, evolve, initialUserState, type UserState } from './user.decider';
import { UserError, UserErrorCode } from './user.exception';

/** `given(past events).when(command).then(new events)` or `.thenThrows(code, status)`. */
function given(past: readonly UserEvent[]) {
  const state = past.reduce<UserState>(evolve, initialUserState);
  return {
    when(command: UserCommand) {
      const run = () => decide(command, state);
      return {
        then: (expected: readonly UserEvent[]) => expect(run()).toEqual(expected),
        thenThrows(code: UserErrorCode, status: number): void {
          expect(run).toThrow(UserError);
          expect(run).toThrow(expect.objectContaining({ code, status }) as unknown as Error);
        },
      };
    },
  };
}

const userId = uuidv7();
const created: UserEvent = {
  type: 'UserCreated',
  data: {
    userId,
    username: 'ada.lovelace',
    displayName: 'Ada Lovelace',
    email: 'a***@example.com',
    roles: ['staff'],
    teamId: null,
    managerId: null,
    clearance: 'internal',
    status: 'active',
  },
};
const effectiveAt = '2031-03-31T17:00:00.000Z';
const markDeparting = (at = effectiveAt): UserCommand => ({ type: 'MarkDeparting', data: { userId, effectiveAt: at } });
const toDeparting: UserEvent = { type: 'UserStatusChanged', data: { userId, from: 'active', to: 'departing', reason: 'departing' } };
const marked = (at = effectiveAt): UserEvent => ({ type: 'UserMarkedDeparting', data: { userId, effectiveAt: at } });
const freeze: UserCommand = { type: 'FreezeUser', data: { userId, reason: 'offboarding', sessionsRevoked: 2, grantsRevoked: 1 } };
const frozen: UserEvent = { type: 'UserFrozen', data: { userId, reason: 'offboarding', sessionsRevoked: 2, grantsRevoked: 1 } };
const now = '2030-01-01T00:00:00.000Z';
const restrictionId = uuidv7();
const impose = (until: string): UserCommand => ({
  type: 'ImposeRestriction',
  data: { restrictionId, userId, action: 'export', until, reason: 'bulk export alert', now },
});
const imposed: UserEvent = {
  type: 'UserRestrictionImposed',
  data: { restrictionId, userId, action: 'export', until: '2030-01-02T00:00:00.000Z', reason: 'bulk export alert' },
};
const lift: UserCommand = { type: 'LiftRestriction', data: { userId, restrictionId } };
const lifted: UserEvent = { type: 'UserRestrictionLifted', data: { restrictionId, userId } };

describe('User lifecycle decisions', () => {
  describe('MarkDeparting', () => {
    it('makes an active user departing and records the date', () => given([created]).when(markDeparting()).then([toDeparting, marked()]));
    it('is idempotent for the same date', () => given([created, toDeparting, marked()]).when(markDeparting()).then([]));
    it('records a new date of a departing user', () =>
      given([created, toDeparting, marked()]).when(markDeparting('2031-04-30T17:00:00Z')).then([marked('2031-04-30T17:00:00.000Z')]));
    it('keeps a disabled user disabled, recording the date', () =>
      given([created, { type: 'UserStatusChanged', data: { userId, from: 'active', to: 'disabled', reason: null } }])
        .when(markDeparting())
        .then([marked()]));
    it('refuses an offboarded user (409)', () =>
      given([created, { type: 'UserStatusChanged', data: { userId, from: 'active', to: 'offboarded', reason: null } }])
        .when(markDeparting())
        .thenThrows(UserErrorCode.Offboarded, 409));
    it('refuses an unknown user (404)', () => given([]).when(markDeparting()).thenThrows(UserErrorCode.NotFound, 404));
  });

  describe('CancelDeparture', () => {
    const cancel: UserCommand = { type: 'CancelDeparture', data: { userId, reason: 'offboarding cancelled' } };
    const cancelled = (at: string | null = effectiveAt): UserEvent => ({
      type: 'UserDepartureCancelled',
      data: { userId, effectiveAt: at, reason: 'offboarding cancelled' },
    });
    const backToActive: UserEvent = { type: 'UserStatusChanged', data: { userId, from: 'departing', to: 'active', reason: 'departure_cancelled' } };
    const disabled: UserEvent = { type: 'UserStatusChanged', data: { userId, from: 'active', to: 'disabled', reason: null } };
    it('makes a departing user active again and clears the date', () =>
      given([created, toDeparting, marked()]).when(cancel).then([backToActive, cancelled()]));
    it('is a no-op once cancelled, and for a user who was never departing', () => {
      given([created, toDeparting, marked(), backToActive, cancelled()]).when(cancel).then([]);
      given([created]).when(cancel).then([]);
    });
    it('lets the user be marked departing again afterwards', () =>
      given([created, toDeparting, marked(), backToActive, cancelled()]).when(markDeparting()).then([toDeparting, marked()]));
    it('clears the date of a disabled user, who stays disabled', () =>
      given([created, disabled, marked()]).when(cancel).then([cancelled()]));
    it('activates a user made departing by a status change alone (no date)', () =>
      given([created, toDeparting]).when(cancel).then([backToActive, cancelled(null)]));
    it('refuses an offboarded or frozen user (409) and an unknown user (404)', () => {
      given([created, toDeparting, marked(), { type: 'UserStatusChanged', data: { userId, from: 'departing', to: 'offboarded', reason: null } }])
        .when(cancel)
        .thenThrows(UserErrorCode.Offboarded, 409);
      given([created, toDeparting, marked(), { type: 'UserStatusChanged', data: { userId, from: 'departing', to: 'offboarded', reason: null } }, frozen])
        .when(cancel)
        .thenThrows(UserErrorCode.Offboarded, 409);
      given([]).when(cancel).thenThrows(UserErrorCode.NotFound, 404);
    });
  });

  describe('FreezeUser', () => {
    const toOffboarded = (from: 'active' | 'departing'): UserEvent => ({
      type: 'UserStatusChanged',
      data: { userId, from, to: 'offboarded', reason: 'offboarding' },
    });
    it('offboards an active user and records the freeze', () => given([created]).when(freeze).then([toOffboarded('active'), frozen]));
    it('offboards a departing user', () => given([created, toDeparting, marked()]).when(freeze).then([toOffboarded('departing'), frozen]));
    it('records the freeze of a user already offboarded without a second status change', () =>
      given([created, toOffboarded('active')]).when(freeze).then([frozen]));
    it('is a no-op the second time', () => given([created, toOffboarded('active'), frozen]).when(freeze).then([]));
  });

  describe('RequireMfa', () => {
    const required: UserEvent = { type: 'UserMfaRequired', data: { userId, reason: 'unusual login' } };
    const command: UserCommand = { type: 'RequireMfa', data: { userId, reason: 'unusual login' } };
    it('requires MFA once', () => given([created]).when(command).then([required]));
    it('is idempotent', () => given([created, required]).when(command).then([]));
  });

  describe('restrictions', () => {
    it('imposes a time-bound deny', () => given([created]).when(impose('2030-01-02T00:00:00Z')).then([imposed]));
    it('refuses a past or too distant end (400)', () => {
      given([created]).when(impose('2029-12-31T23:59:59Z')).thenThrows(UserErrorCode.InvalidRestriction, 400);
      given([created]).when(impose('2030-06-01T00:00:00Z')).thenThrows(UserErrorCode.InvalidRestriction, 400);
      given([created]).when(impose('not a date')).thenThrows(UserErrorCode.InvalidRestriction, 400);
    });
    it('lifts it, once', () => {
      given([created, imposed]).when(lift).then([lifted]);
      given([created, imposed, lifted]).when(lift).then([]);
    });
    it('answers 404 for a restriction the user does not have', () =>
      given([created]).when(lift).thenThrows(UserErrorCode.RestrictionNotFound, 404));
  });

  describe('UpdateUser with a new user name (rename)', () => {
    it('records the new name, and nothing for the same one', () => {
      given([created]).when({ type: 'UpdateUser', data: { userId, username: 'ada.byron' } }).then([
        { type: 'UserUpdated', data: { userId, username: 'ada.byron' } },
      ]);
      given([created]).when({ type: 'UpdateUser', data: { userId, username: 'ada.lovelace' } }).then([]);
    });
  });
});
