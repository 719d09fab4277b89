import type { Classification } from '@warden/contracts';
import { createPolicy, type Policy } from './ability';
import { compileAbility } from './compile';
import { DEFAULT_ROLES_BY_NAME } from './default-roles';
import type { Grant, PolicySubjectUser, RoleDefinition } from './policy.types';

/**
 * Shared fixtures of the policy tests (unit and integration). Organisation:
 *
 *   team-root
 *   ├── team-a            supervisor's own team
 *   │   └── team-a1       sub-team: staff works here
 *   └── team-b            sibling team
 */

export const NOW = new Date('2030-06-01T12:00:00.000Z');

export type CustomerRow = {
  id: string;
  name: string;
  ownerId: string | null;
  teamId: string | null;
  classification: Classification | null;
  sharedWith: string[] | null;
};

export function user(userId: string, overrides: Partial<PolicySubjectUser> = {}): PolicySubjectUser {
  return { userId, roles: [], teamIds: [], clearance: 'confidential', status: 'active', ...overrides };
}

/** One user per default role, each at `confidential` clearance. */
export const ROLE_USERS: Record<string, PolicySubjectUser> = {
  admin: user('u-admin', { roles: ['admin'], teamIds: ['team-root'] }),
  security_officer: user('u-so', { roles: ['security_officer'] }),
  supervisor: user('u-sup', { roles: ['supervisor'], teamIds: ['team-a', 'team-a1'] }),
  staff: user('u-staff', { roles: ['staff'], teamIds: ['team-a1'] }),
  hr: user('u-hr', { roles: ['hr'] }),
  auditor: user('u-aud', { roles: ['auditor'] }),
  partner: user('u-partner', { roles: ['partner'] }),
};

export function grant(overrides: Partial<Grant> & Pick<Grant, 'userId' | 'permissions'>): Grant {
  return {
    id: 'g-1',
    status: 'active',
    startsAt: '2030-06-01T00:00:00.000Z',
    expiresAt: '2030-06-01T18:00:00.000Z',
    ...overrides,
  };
}

export function policyFor(
  subject: PolicySubjectUser,
  options: {
    grants?: Grant[];
    roles?: Record<string, RoleDefinition>;
    clock?: () => number;
  } = {},
): Policy {
  const compiled = compileAbility({
    user: subject,
    roles: options.roles ?? DEFAULT_ROLES_BY_NAME,
    grants: options.grants ?? [],
    now: NOW,
  });
  return createPolicy(compiled, { now: options.clock ?? (() => NOW.getTime()) });
}

/** Customers covering owners, teams, classifications and sharing, including hostile values. */
export const CUSTOMERS: CustomerRow[] = [
  { id: 'c-staff-own', name: 'A', ownerId: 'u-staff', teamId: 'team-a1', classification: 'internal', sharedWith: [] },
  { id: 'c-staff-conf', name: 'B', ownerId: 'u-staff', teamId: 'team-a1', classification: 'confidential', sharedWith: null },
  { id: 'c-staff-restr', name: 'C', ownerId: 'u-staff', teamId: 'team-a1', classification: 'restricted', sharedWith: [] },
  { id: 'c-other-a1', name: 'D', ownerId: 'u-other', teamId: 'team-a1', classification: 'public', sharedWith: ['u-partner'] },
  { id: 'c-other-a', name: 'E', ownerId: 'u-other', teamId: 'team-a', classification: 'internal', sharedWith: ['x', 'u-partner'] },
  { id: 'c-other-b', name: 'F', ownerId: 'u-other', teamId: 'team-b', classification: 'internal', sharedWith: ['u-staff'] },
  { id: 'c-shared-restr', name: 'G', ownerId: 'u-other', teamId: 'team-b', classification: 'restricted', sharedWith: ['u-partner'] },
  { id: 'c-no-team', name: 'H', ownerId: null, teamId: null, classification: 'public', sharedWith: null },
  { id: 'c-no-class', name: 'I', ownerId: 'u-staff', teamId: 'team-a1', classification: null, sharedWith: ['u-partner'] },
  { id: 'c-hostile', name: 'J', ownerId: "x' OR '1'='1", teamId: "team-a1'); DROP TABLE customers; --", classification: 'public', sharedWith: [] },
];
