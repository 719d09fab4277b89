import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME, PolicyClient, type CompiledAbility } from '@warden/security';
import type Redis from 'ioredis';
import { customerAbilitySnapshot, resumePolicy, type ImportRequester } from './import-requester.util';

const compiled = (userId: string, roles: string[], policyVersion = 3, grantHours = 1): CompiledAbility => {
  const now = new Date();
  return compileAbility({
    user: { userId, roles, teamIds: ['team-1'], clearance: 'confidential', status: 'active' },
    roles: DEFAULT_ROLES_BY_NAME,
    grants: [
      {
        id: 'g-1',
        userId,
        permissions: [{ action: ['delete'], subject: 'Customer' }],
        status: 'active',
        expiresAt: new Date(now.getTime() + grantHours * 3_600_000).toISOString(),
      },
    ],
    now,
    policyVersion,
  });
};

/** A Redis holding only string keys, as the policy cache uses it. */
const redisWith = (entries: Record<string, string>): Redis => ({ get: async (key: string) => entries[key] ?? null }) as unknown as Redis;

const requesterOf = (ability: CompiledAbility, policyVersion: number): ImportRequester => ({
  actor: { userId: ability.userId, sessionId: 's-1', ip: null, userAgent: null, deviceId: null },
  correlationId: 'c-1',
  policyVersion,
  ability,
});

describe('customerAbilitySnapshot', () => {
  it('decides every customer question as the policy it was taken from', () => {
    const policy = createPolicy(compiled('u-1', ['staff', 'supervisor']));
    const snapshot = createPolicy(JSON.parse(JSON.stringify(customerAbilitySnapshot(policy))) as CompiledAbility);
    const resources = [
      { ownerId: 'u-1', teamId: 'team-1', classification: 'internal', sharedWith: [] },
      { ownerId: 'u-2', teamId: 'team-1', classification: 'confidential', sharedWith: [] },
      { ownerId: 'u-2', teamId: 'team-2', classification: 'internal', sharedWith: [] },
      { ownerId: 'u-1', teamId: 'team-1', classification: 'restricted', sharedWith: [] },
    ];
    const fields = ['name', 'mobile', 'email', 'nationalId', 'address', 'ownerId'] as const;
    for (const action of ['read', 'create', 'update', 'delete', 'export', 'reveal'] as const) {
      expect(snapshot.can(action, 'Customer')).toBe(policy.can(action, 'Customer'));
      for (const resource of resources) {
        expect([action, snapshot.can(action, 'Customer', resource)]).toEqual([action, policy.can(action, 'Customer', resource)]);
        expect(snapshot.fieldLevels(action, 'Customer', fields, resource)).toEqual(policy.fieldLevels(action, 'Customer', fields, resource));
      }
    }
    expect(snapshot.userId).toBe('u-1');
    expect(snapshot.validUntil).toBe(policy.validUntil);
  });
});

describe('resumePolicy', () => {
  const ability = compiled('u-1', ['staff']);

  it('resumes with the ability kept with the import while the user policy version is unchanged', async () => {
    const policy = await resumePolicy(redisWith({ [PolicyClient.versionKey('u-1')]: '3' }), requesterOf(ability, 3));
    expect(policy?.can('create', 'Customer', { ownerId: 'u-1', teamId: 'team-1', classification: 'internal', sharedWith: [] })).toBe(true);
  });

  it('takes the current ability from the shared cache when the version moved on', async () => {
    const current = compiled('u-1', ['auditor'], 4);
    const redis = redisWith({ [PolicyClient.versionKey('u-1')]: '4', [PolicyClient.abilityKey('u-1', 4)]: JSON.stringify(current) });
    const policy = await resumePolicy(redis, requesterOf(ability, 3));
    expect(policy?.can('create', 'Customer')).toBe(false);
  });

  it('gives nothing when the version moved on and the current ability is not cached, is expired or of another user', async () => {
    const version = { [PolicyClient.versionKey('u-1')]: '4' };
    expect(await resumePolicy(redisWith(version), requesterOf(ability, 3))).toBeNull();
    const other = compiled('u-2', ['staff'], 4);
    expect(await resumePolicy(redisWith({ ...version, [PolicyClient.abilityKey('u-1', 4)]: JSON.stringify(other) }), requesterOf(ability, 3))).toBeNull();
    const expired = { ...compiled('u-1', ['staff'], 4), validUntil: new Date(Date.now() - 1000).toISOString() };
    expect(await resumePolicy(redisWith({ ...version, [PolicyClient.abilityKey('u-1', 4)]: JSON.stringify(expired) }), requesterOf(ability, 3))).toBeNull();
  });
});
