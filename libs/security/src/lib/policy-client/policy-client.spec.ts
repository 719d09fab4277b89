import type Redis from 'ioredis';
import { AuthUnavailableError } from '../auth/auth.errors';
import type { Principal } from '../auth/principal';
import { compileAbility } from '../policy/compile';
import { DEFAULT_ROLES_BY_NAME } from '../policy/default-roles';
import type { CompiledAbility } from '../policy/policy.types';
import { PolicyClient } from './policy-client';

const NOW_MS = Date.parse('2030-06-01T12:00:00.000Z');

const principal = (userId: string): Principal => ({
  userId,
  sessionId: 's-1',
  username: userId,
  roles: ['staff'],
  teamId: null,
  issuedAt: Math.floor(NOW_MS / 1000),
});

const staffAbility = (userId: string, policyVersion = 0): CompiledAbility =>
  compileAbility({
    user: { userId, roles: ['staff'], teamIds: [], clearance: 'confidential', status: 'active' },
    roles: DEFAULT_ROLES_BY_NAME,
    grants: [],
    now: new Date(NOW_MS),
    policyVersion,
  });

/** The two Redis commands the client uses, in memory; `failing` makes every command reject. */
class FakeRedis {
  readonly values = new Map<string, string>();
  readonly ttls = new Map<string, number>();
  gets = 0;
  failing = false;

  async get(key: string): Promise<string | null> {
    if (this.failing) throw new Error('connection refused');
    this.gets++;
    return this.values.get(key) ?? null;
  }

  async set(key: string, value: string, _ex: 'EX', ttl: number): Promise<'OK'> {
    if (this.failing) throw new Error('connection refused');
    this.values.set(key, value);
    this.ttls.set(key, ttl);
    return 'OK';
  }
}

describe('PolicyClient', () => {
  let redis: FakeRedis;
  let clock: number;
  let fetches: Array<{ userId: string; token: string }>;
  let answer: (userId: string) => Promise<unknown>;

  const client = (options: { localTtlMs?: number; localMaxEntries?: number } = {}) =>
    new PolicyClient({
      redis: redis as unknown as Redis,
      fetchAbility: async (userId, token) => {
        fetches.push({ userId, token });
        return answer(userId);
      },
      now: () => clock,
      ...options,
    });

  beforeEach(() => {
    redis = new FakeRedis();
    clock = NOW_MS;
    fetches = [];
    answer = async (userId) => staffAbility(userId);
  });

  describe('when nothing is cached', () => {
    it('fetches the ability with the caller token and returns its policy', async () => {
      const policy = await client().abilityFor(principal('u-1'), 'token-1');
      expect(fetches).toEqual([{ userId: 'u-1', token: 'token-1' }]);
      expect(policy.can('read', 'Customer', { ownerId: 'u-1', classification: 'internal' })).toBe(true);
      expect(policy.can('read', 'Customer', { ownerId: 'u-2', classification: 'internal' })).toBe(false);
    });

    it('treats a missing policy version as 0 and caches the ability for 10 minutes under it', async () => {
      await client().abilityFor(principal('u-1'), 't');
      expect(JSON.parse(redis.values.get('warden:ability:u-1:0') ?? 'null')).toEqual(staffAbility('u-1'));
      expect(redis.ttls.get('warden:ability:u-1:0')).toBe(600);
    });

    it('never caches past validUntil', async () => {
      answer = async (userId) => ({
        ...staffAbility(userId),
        validUntil: new Date(NOW_MS + 90_000).toISOString(),
      });
      await client().abilityFor(principal('u-1'), 't');
      expect(redis.ttls.get('warden:ability:u-1:0')).toBe(90);
    });

    it('caches under the version the ability was compiled at when the mirror lags behind', async () => {
      answer = async (userId) => staffAbility(userId, 7);
      await client().abilityFor(principal('u-1'), 't');
      expect(redis.values.has('warden:ability:u-1:7')).toBe(true);
      expect(redis.values.has('warden:ability:u-1:0')).toBe(false);
    });

    it('does not cache an ability older than the version read', async () => {
      redis.values.set('warden:policy-version:u-1', '5');
      answer = async (userId) => staffAbility(userId, 4);
      await client().abilityFor(principal('u-1'), 't');
      expect([...redis.values.keys()].filter((key) => key.startsWith('warden:ability:'))).toEqual([]);
    });
  });

  describe('when the ability is cached', () => {
    it('uses the Redis entry of the current version without fetching', async () => {
      redis.values.set('warden:policy-version:u-1', '3');
      redis.values.set('warden:ability:u-1:3', JSON.stringify(staffAbility('u-1', 3)));
      const policy = await client().abilityFor(principal('u-1'), 't');
      expect(fetches).toEqual([]);
      expect(policy.policyVersion).toBe(3);
    });

    it('fetches again when the version moved on', async () => {
      redis.values.set('warden:ability:u-1:0', JSON.stringify(staffAbility('u-1', 0)));
      redis.values.set('warden:policy-version:u-1', '1');
      await client().abilityFor(principal('u-1'), 't');
      expect(fetches).toHaveLength(1);
    });

    it('ignores an entry that is malformed, of another user or expired, and fetches', async () => {
      const c = client();
      for (const [userId, entry] of [
        ['u-1', '{not json'],
        ['u-2', JSON.stringify({ ...staffAbility('u-2'), rules: [{ action: ['read'] }] })],
        ['u-3', JSON.stringify(staffAbility('someone-else'))],
        ['u-4', JSON.stringify({ ...staffAbility('u-4'), validUntil: new Date(NOW_MS - 1).toISOString() })],
      ] as const) {
        redis.values.set(`warden:ability:${userId}:0`, entry);
        await c.abilityFor(principal(userId), 't');
      }
      expect(fetches.map((f) => f.userId)).toEqual(['u-1', 'u-2', 'u-3', 'u-4']);
    });

    it('holds the policy in memory for 30 s per user and version, reading only the version', async () => {
      const c = client();
      const first = await c.abilityFor(principal('u-1'), 't');
      const getsAfterFirst = redis.gets;
      clock += 29_000;
      expect(await c.abilityFor(principal('u-1'), 't')).toBe(first);
      expect(redis.gets - getsAfterFirst).toBe(1);
      clock += 2_000;
      expect(await c.abilityFor(principal('u-1'), 't')).not.toBe(first);
      expect(fetches).toHaveLength(1);
    });

    it('does not use the policy held in memory once the version changes', async () => {
      const c = client();
      const first = await c.abilityFor(principal('u-1'), 't');
      redis.values.set('warden:policy-version:u-1', '1');
      answer = async (userId) => staffAbility(userId, 1);
      expect(await c.abilityFor(principal('u-1'), 't')).not.toBe(first);
      expect(fetches).toHaveLength(2);
    });

    it('takes the version the guard read with the revocation markers instead of reading it', async () => {
      const c = client();
      answer = async (userId) => staffAbility(userId, 4);
      const seen = { ...principal('u-1'), policyVersionAtAuth: { userId: 'u-1', raw: '4' } };
      expect((await c.abilityFor(seen, 't')).policyVersion).toBe(4);
      const getsAfterFirst = redis.gets;
      expect((await c.abilityFor(seen, 't')).policyVersion).toBe(4);
      expect(redis.gets).toBe(getsAfterFirst);
      expect(fetches).toHaveLength(1);
    });

    it('reads the version itself when the one carried was read for another user', async () => {
      const c = client();
      redis.values.set('warden:policy-version:u-1', '2');
      answer = async (userId) => staffAbility(userId, 2);
      const borrowed = { ...principal('u-1'), policyVersionAtAuth: { userId: 'u-9', raw: '0' } };
      expect((await c.abilityFor(borrowed, 't')).policyVersion).toBe(2);
    });

    it('drops the least recently used policy beyond its capacity', async () => {
      const c = client({ localMaxEntries: 2 });
      const one = await c.abilityFor(principal('u-1'), 't');
      await c.abilityFor(principal('u-2'), 't');
      expect(await c.abilityFor(principal('u-1'), 't')).toBe(one);
      await c.abilityFor(principal('u-3'), 't');
      expect(await c.abilityFor(principal('u-1'), 't')).toBe(one);
      redis.values.clear();
      await c.abilityFor(principal('u-2'), 't');
      expect(fetches.map((f) => f.userId)).toEqual(['u-1', 'u-2', 'u-3', 'u-2']);
    });
  });

  describe('fails closed with AUTH_UNAVAILABLE', () => {
    const expectUnavailable = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuthUnavailableError);
      expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', status: 503 });
      expect((error as Error).message).not.toContain('secret-token');
    };

    it('when the authorization service fails', async () => {
      answer = async () => {
        throw new Error('ECONNREFUSED secret-token');
      };
      await expectUnavailable(client().abilityFor(principal('u-1'), 'secret-token'));
    });

    it('when Redis cannot answer', async () => {
      redis.failing = true;
      await expectUnavailable(client().abilityFor(principal('u-1'), 'secret-token'));
      expect(fetches).toEqual([]);
    });

    it('when the policy version is not a number', async () => {
      redis.values.set('warden:policy-version:u-1', 'abc');
      await expectUnavailable(client().abilityFor(principal('u-1'), 't'));
      await expectUnavailable(client().abilityFor({ ...principal('u-1'), policyVersionAtAuth: { userId: 'u-1', raw: '-1' } }, 't'));
    });

    it.each([
      ['not an object', 'nope'],
      ['rules missing', { userId: 'u-1', validUntil: null }],
      [
        'an unknown action',
        {
          userId: 'u-1',
          validUntil: null,
          rules: [
            { action: ['steal'], subject: 'Customer', inverted: false, source: { kind: 'role', id: 'x' } },
          ],
        },
      ],
      [
        'an unknown condition (it would widen the rule)',
        {
          userId: 'u-1',
          validUntil: null,
          rules: [
            {
              action: ['read'],
              subject: 'Customer',
              inverted: false,
              conditions: { region: 'eu' },
              source: { kind: 'role', id: 'x' },
            },
          ],
        },
      ],
      ['another user', { userId: 'u-2', validUntil: null, rules: [] }],
      ['an expired validUntil', { userId: 'u-1', validUntil: '2000-01-01T00:00:00.000Z', rules: [] }],
    ])('when the fetched ability has %s', async (_what, body) => {
      answer = async () => body;
      await expectUnavailable(client().abilityFor(principal('u-1'), 't'));
      expect([...redis.values.keys()].filter((key) => key.startsWith('warden:ability:'))).toEqual([]);
    });
  });

  it('denies by default: an ability without rules allows nothing', async () => {
    answer = async (userId) => ({ userId, rules: [], validUntil: null });
    const policy = await client().abilityFor(principal('u-1'), 't');
    expect(policy.can('read', 'Customer')).toBe(false);
  });
});
