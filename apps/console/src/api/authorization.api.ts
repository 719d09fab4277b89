import type { TokenPair } from '../auth/token-store';
import type { ApiClient } from './api-client';

export type LoginResult =
  (TokenPair & { expiresIn: number }) | { mfaEnrollmentRequired: true; enrollmentToken: string };
export type Enrolment = { secret: string; otpauthUri: string };
export type ActivatedEnrolment = Partial<TokenPair> & { recoveryCodes: string[] };

export type Page<T> = { items: T[]; nextCursor: string | null };

export type User = {
  id: string;
  username: string;
  displayName: string;
  email: string;
  roles: string[];
  teamId: string | null;
  managerId: string | null;
  clearance: string;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type Session = {
  id: string;
  userId: string;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  geo: { country: string | null; city: string | null } | null;
  mfa: boolean;
  status: string;
  createdAt: string;
  lastUsedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
};

export type Team = {
  id: string;
  name: string;
  parentId: string | null;
  supervisorId: string | null;
  version: number;
  createdAt: string;
};

export type FieldLevel = 'none' | 'masked' | 'clear';
export type Permission = {
  action: string | string[];
  subject: string;
  conditions?: Record<string, unknown>;
  fields?: Record<string, FieldLevel>;
  deny?: boolean;
};

export type Role = {
  name: string;
  description: string;
  permissions: Permission[];
  mfaRequired: boolean;
  builtIn: boolean;
  version: number;
};

export type Grant = {
  id: string;
  userId: string;
  /** Who the grant is for, by name (in lists; null when the service does not know them). */
  grantee?: { username: string; displayName: string } | null;
  permissions: Permission[];
  reason: string;
  status: string;
  expiresAt: string;
  requestedBy: string;
  decidedBy: string | null;
  comment: string | null;
  createdAt: string;
};

/** The answer to one `POST /v1/decisions` question about the caller's own ability. */
export type Decision = { allowed: boolean; fieldLevels?: Record<string, FieldLevel> };
export type StepUp = { stepUpToken: string; expiresIn: number };

export type CreateUserInput = {
  username: string;
  password: string;
  displayName: string;
  email: string;
  roles: string[];
  teamId: string | null;
  clearance: string;
};

/** The authorization service's API as the console uses it. */
export const authorizationApi = (api: ApiClient) => ({
  login: (body: { username: string; password: string; totp?: string }) =>
    api.request<LoginResult>('authorization', '/v1/auth/login', { body, anonymous: true }),
  enroll: (enrollmentToken?: string) =>
    api.request<Enrolment>('authorization', '/v1/auth/mfa/enroll', {
      body: enrollmentToken ? { enrollmentToken } : {},
      anonymous: !!enrollmentToken,
    }),
  activate: (totp: string, enrollmentToken?: string) =>
    api.request<ActivatedEnrolment>('authorization', '/v1/auth/mfa/activate', {
      body: enrollmentToken ? { totp, enrollmentToken } : { totp },
      anonymous: !!enrollmentToken,
    }),
  newRecoveryCodes: (totp: string) =>
    api.request<{ recoveryCodes: string[] }>('authorization', '/v1/auth/mfa/recovery-codes', {
      body: { totp },
    }),
  /** A 5-minute proof of a fresh TOTP code, bound to this session (approving clear sensitive fields). */
  stepUp: (totp: string) => api.request<StepUp>('authorization', '/v1/auth/step-up', { body: { totp } }),
  /** Questions about the caller's own ability (e.g. may I export customers, at which field levels). */
  decisions: (decisions: Array<{ subject: string; action: string }>) =>
    api.request<{ results: Decision[] }>('authorization', '/v1/decisions', { body: { decisions } }),
  logout: () => api.request<void>('authorization', '/v1/auth/logout', { method: 'POST' }),
  sessions: (userId: string) =>
    api.request<Session[]>('authorization', `/v1/users/${encodeURIComponent(userId)}/sessions`),
  endAllSessions: (userId: string) =>
    api.request<void>('authorization', `/v1/users/${encodeURIComponent(userId)}/sessions`, {
      method: 'DELETE',
    }),
  users: (query: { username?: string; status?: string; teamId?: string; cursor?: string; limit?: number }) =>
    api.request<Page<User>>('authorization', '/v1/users', { query }),
  /** One person of the directory (admin, hr, security officer). */
  user: (id: string) => api.request<User>('authorization', `/v1/users/${encodeURIComponent(id)}`),
  createUser: (body: CreateUserInput) => api.request<User>('authorization', '/v1/users', { body }),
  updateUser: (
    id: string,
    body: Partial<Pick<User, 'roles' | 'status' | 'teamId' | 'clearance' | 'displayName'>> & {
      statusReason?: string;
    },
  ) => api.request<User>('authorization', `/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  teams: () => api.request<Team[]>('authorization', '/v1/teams'),
  createTeam: (body: { name: string; parentId: string | null; supervisorId: string | null }) =>
    api.request<Team>('authorization', '/v1/teams', { body }),
  roles: () => api.request<Role[]>('authorization', '/v1/roles'),
  updateRole: (role: Pick<Role, 'name' | 'description' | 'permissions' | 'mfaRequired'>) =>
    api.request<Role>('authorization', `/v1/roles/${encodeURIComponent(role.name)}`, {
      method: 'PUT',
      body: { description: role.description, permissions: role.permissions, mfaRequired: role.mfaRequired },
    }),
  grants: (query: { userId?: string; status?: string }) =>
    api.request<Grant[]>('authorization', '/v1/grants', { query }),
  requestGrant: (body: { userId: string; permissions: Permission[]; reason: string; expiresAt: string }) =>
    api.request<Grant>('authorization', '/v1/grants', { body }),
  decideGrant: (id: string, decision: 'approve' | 'reject' | 'revoke', comment?: string) =>
    api.request<Grant>('authorization', `/v1/grants/${encodeURIComponent(id)}/${decision}`, {
      body: comment ? { comment } : {},
    }),
});
export type AuthorizationApi = ReturnType<typeof authorizationApi>;
