import { randomUUID } from 'node:crypto';
import { testEnv } from '@warden/testing';
import Redis from 'ioredis';
import type { Principal } from '../auth/principal';
import { RevocationStore } from '../auth/revocation';
import { compileAbility } from '../policy/compile';
import { DEFAULT_ROLES_BY_NAME } from '../policy/default-roles';
import type { CompiledAbility } from '../policy/policy.types';
import { PolicyClient } from './policy-client';

/** The shared ability cache in a real Redis: keys, TTLs and versions as other services see them. */
describe('PolicyClient against Redis', () => {
  let redis: Redis;
  const keys: string[] = [];

  const principal = (userId: string): Principal => ({
    userId,
    sessionId: randomUUID(),
    username: 'int.user',
    roles: ['supervisor'],
    teamId: 'team-a',
    issuedAt: Math.floor(Date.now() / 1000),
  });
  const ability = (
    userId: string,
    policyVersion: number,
    validUntil: string | null = null,
  ): CompiledAbility => ({
    ...compileAbility({
      user: {
        userId,
        roles: ['supervisor'],
        teamIds: ['team-a'],
        clearance: 'confidential',
        status: 'active',
      },
      roles: DEFAULT_ROLES_BY_NAME,
      grants: [],
      now: new Date(),
      policyVersion,
    }),
    validUntil,
  });

  beforeAll(() => {
    redis = new Redis(testEnv().redisUrl);
  });

  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const fresh = (): string => {
    const userId = `int-policy-${randomUUID()}`;
    keys.push(PolicyClient.versionKey(userId), ...[0, 1, 2].map((v) => PolicyClient.abilityKey(userId, v)));
    return userId;
  };

  it('caches a fetched ability under the user and version with a TTL of at most 10 minutes', async () => {
    const userId = fresh();
    await redis.set(PolicyClient.versionKey(userId), '2');
    let fetches = 0;
    const client = new PolicyClient({ redis, fetchAbility: async (id) => (fetches++, ability(id, 2)) });
    const policy = await client.abilityFor(principal(userId), 't');
    expect(policy.can('read', 'Customer', { teamId: 'team-a', classification: 'internal' })).toBe(true);

    const key = PolicyClient.abilityKey(userId, 2);
    expect(JSON.parse((await redis.get(key)) ?? 'null')).toEqual(ability(userId, 2));
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    // Another instance (no memory of its own) reads the shared entry instead of fetching.
    const other = new PolicyClient({
      redis,
      fetchAbility: async () => Promise.reject(new Error('must not fetch')),
    });
    expect((await other.abilityFor(principal(userId), 't')).policyVersion).toBe(2);
    expect(fetches).toBe(1);
  });

  it('keeps an entry no longer than its validUntil', async () => {
    const userId = fresh();
    const validUntil = new Date(Date.now() + 20_000).toISOString();
    const client = new PolicyClient({ redis, fetchAbility: async (id) => ability(id, 0, validUntil) });
    await client.abilityFor(principal(userId), 't');
    const ttl = await redis.ttl(PolicyClient.abilityKey(userId, 0));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(20);
  });

  it("reads the policy version with the revocation markers in one round trip, and the client uses it", async () => {
    const userId = fresh();
    const revocations = new RevocationStore(redis);
    const who = principal(userId);
    keys.push(RevocationStore.sessionKey(who.sessionId), RevocationStore.userKey(userId));
    await redis.set(PolicyClient.versionKey(userId), '2');
    const state = await revocations.check(who.sessionId, userId, who.issuedAt);
    expect(state).toEqual({ revoked: false, policyVersion: '2' });
    const client = new PolicyClient({ redis, fetchAbility: async (id) => ability(id, 2) });
    const policy = await client.abilityFor({ ...who, policyVersionAtAuth: { userId, raw: state.policyVersion } }, 't');
    expect(policy.policyVersion).toBe(2);

    await revocations.revokeSession(who.sessionId);
    expect((await revocations.check(who.sessionId, userId, who.issuedAt)).revoked).toBe(true);
  });

  it('sees a version bump at once, even with the policy held in memory', async () => {
    const userId = fresh();
    let version = 0;
    const client = new PolicyClient({ redis, fetchAbility: async (id) => ability(id, version) });
    expect((await client.abilityFor(principal(userId), 't')).policyVersion).toBe(0);
    version = 1;
    await redis.set(PolicyClient.versionKey(userId), '1');
    expect((await client.abilityFor(principal(userId), 't')).policyVersion).toBe(1);
    expect(await redis.exists(PolicyClient.abilityKey(userId, 1))).toBe(1);
  });
});
