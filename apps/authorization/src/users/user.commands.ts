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

export type UserCommand = CreateUser | UpdateUser | ChangeUserStatus | ChangePassword | EnableMfa;
