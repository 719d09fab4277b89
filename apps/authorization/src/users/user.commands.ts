import type { Clearance, RoleName, UserStatus } from '@warden/contracts';

export type CreateUser = {
  type: 'CreateUser';
  data: {
    userId: string;
    username: string;
    displayName: string;
    /** Already masked: the clear address never reaches the decider or the events. */
    maskedEmail: string;
    roles: RoleName[];
    teamId: string | null;
    managerId: string | null;
    clearance: Clearance;
  };
};

export type UpdateUser = {
  type: 'UpdateUser';
  data: {
    userId: string;
    username?: string;
    displayName?: string;
    maskedEmail?: string;
    roles?: RoleName[];
    teamId?: string | null;
    managerId?: string | null;
    clearance?: Clearance;
  };
};

export type ChangeUserStatus = {
  type: 'ChangeUserStatus';
  data: { userId: string; to: UserStatus; reason: string | null };
};

export type ChangePassword = { type: 'ChangePassword'; data: { userId: string } };

export type EnableMfa = { type: 'EnableMfa'; data: { userId: string } };

/** The user is leaving on `effectiveAt` (ISO instant): status departing (a disabled user stays disabled). */
export type MarkDeparting = { type: 'MarkDeparting'; data: { userId: string; effectiveAt: string } };

/**
 * The user is no longer leaving (their offboarding was cancelled): the date is cleared and a
 * departing user is active again. Nothing to clear is no change; an offboarded user is refused.
 */
export type CancelDeparture = { type: 'CancelDeparture'; data: { userId: string; reason: string } };

/** Offboarding's freeze: status offboarded and the record of what was revoked with it. Once only. */
export type FreezeUser = {
  type: 'FreezeUser';
  data: { userId: string; reason: string; sessionsRevoked: number; grantsRevoked: number };
};

/** A second factor from the next login on (an automated response to a suspicious login). */
export type RequireMfa = { type: 'RequireMfa'; data: { userId: string; reason: string | null } };

/** `now` is the command's instant: `until` must be after it. */
export type ImposeRestriction = {
  type: 'ImposeRestriction';
  data: { restrictionId: string; userId: string; action: 'export'; until: string; reason: string; now: string };
};

export type LiftRestriction = { type: 'LiftRestriction'; data: { userId: string; restrictionId: string } };

export type UserCommand =
  | CreateUser
  | UpdateUser
  | ChangeUserStatus
  | ChangePassword
  | EnableMfa
  | MarkDeparting
  | CancelDeparture
  | FreezeUser
  | RequireMfa
  | ImposeRestriction
  | LiftRestriction;
