import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME, type Policy } from '@warden/security';

/**
 * The policy of a staff member of `teamId` with restricted clearance who also holds an hour-long
 * grant to erase customers (what erasure tests need), compiled as the authorization service would.
 */
export function staffPolicyWithErasure(userId: string, teamId: string, now = new Date()): Policy {
  return createPolicy(
    compileAbility({
      user: { userId, roles: ['staff'], teamIds: [teamId], clearance: 'restricted', status: 'active' },
      roles: DEFAULT_ROLES_BY_NAME,
      grants: [
        {
          id: `erase-grant-${userId}`,
          userId,
          permissions: [{ action: ['delete'], subject: 'Customer' }],
          status: 'active',
          expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
        },
      ],
      now,
      policyVersion: 0,
    }),
  );
}
