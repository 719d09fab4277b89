import { randomUUID } from 'node:crypto';
import { expectEventually, testEnv } from '@warden/testing';
import Redis from 'ioredis';
import { RevocationStore } from './revocation';
import { TrackedKeys } from './tracked-keys';

/** Client tracking against a real Redis: what is served from memory, and when memory is not trusted. */
describe('TrackedKeys against Redis', () => {
  let redis: Redis;
  let writer: Redis;
  const started: TrackedKeys[] = [];
  const written: string[] = [];

  const track = (prefix: string | readonly string[], options: { now?: () => number; redis?: Redis; maxStalenessMs?: number } = {}): { tracked: TrackedKeys; name: string } => {
    const name = `tracked-test-${randomUUID()}`;
    const tracked = new TrackedKeys({ redis: options.redis ?? redis, prefixes: typeof prefix === 'string' ? [prefix] : prefix, name, now: options.now, maxStalenessMs: options.maxStalenessMs });
    tracked.start();
    started.push(tracked);
    return { tracked, name };
  };
  const set = async (key: string, value: string) => {
    written.push(key);
    await writer.set(key, value, 'EX', 60);
  };
  const clientIdOf = async (name: string): Promise<string> => {
    const list = String(await writer.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const line = list.split('\n').find((l) => l.includes(` name=${name} `));
    if (!line) throw new Error(`no connection named ${name}`);
    return /(?:^|\s)id=(\d+)/.exec(line)?.[1] as string;
  };

  beforeAll(() => {
    redis = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: 2 });
    writer = new Redis(testEnv().redisUrl);
  });

  afterAll(async () => {
    for (const tracked of started) tracked.stop();
    if (written.length) await writer.del(...written);
    redis.disconnect();
    writer.disconnect();
  });

  it('answers a second read from memory and sees a change made elsewhere at the next read', async () => {
    const prefix = `test:tracked:${randomUUID()}:`;
    const { tracked } = track(prefix);
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    const keys = [`${prefix}a`, `${prefix}b`];
    expect(await tracked.mget(keys)).toEqual([null, null]);
    expect(await tracked.mget(keys)).toEqual([null, null]);
    expect(tracked.stats).toEqual({ memory: 1, redis: 1 });

    await set(`${prefix}a`, 'revoked');
    // Nothing expires entries while the tracking is healthy: only the announcement can make this pass.
    await expectEventually(async () => expect(await tracked.mget(keys)).toEqual(['revoked', null]), { timeoutMs: 2000, intervalMs: 5 });
    expect(await tracked.mget(keys)).toEqual(['revoked', null]);
    expect(tracked.stats.memory).toBeGreaterThanOrEqual(2);
  });

  it('keeps nothing outside its prefixes', async () => {
    const prefix = `test:tracked:${randomUUID()}:`;
    const { tracked } = track(prefix);
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    const outside = `test:untracked:${randomUUID()}`;
    await set(outside, '1');
    await tracked.mget([outside]);
    await set(outside, '2');
    expect(await tracked.mget([outside])).toEqual(['2']);
    expect(tracked.stats).toEqual({ memory: 0, redis: 2 });
  });

  it('reads Redis while its announcement connection is gone, and trusts memory again once it is back', async () => {
    const prefix = `test:tracked:${randomUUID()}:`;
    const { tracked, name } = track(prefix);
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    const key = `${prefix}session`;
    await tracked.mget([key]);
    await tracked.mget([key]);
    expect(tracked.stats.memory).toBe(1);

    await writer.call('CLIENT', 'KILL', 'ID', await clientIdOf(`${name}:channel`));
    await expectEventually(() => expect(tracked.healthy).toBe(false), { timeoutMs: 2000, intervalMs: 1 });
    // A change nobody announced to this instance: it must be read from Redis, not remembered.
    await set(key, 'revoked');
    const before = tracked.stats;
    expect(await tracked.mget([key])).toEqual(['revoked']);
    expect(tracked.stats.redis).toBe(before.redis + 1);

    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    await tracked.mget([key]);
    const again = tracked.stats;
    expect(await tracked.mget([key])).toEqual(['revoked']);
    expect(tracked.stats.memory).toBe(again.memory + 1);
    await set(key, 'revoked-again');
    await expectEventually(async () => expect(await tracked.mget([key])).toEqual(['revoked-again']), { timeoutMs: 2000, intervalMs: 5 });
  });

  it('stops trusting memory when the announcement connection has not answered a ping for too long', async () => {
    const prefix = `test:tracked:${randomUUID()}:`;
    let skew = 0;
    const { tracked } = track(prefix, { now: () => performance.now() + skew });
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    const key = `${prefix}k`;
    await tracked.mget([key]);
    // The last answered ping now looks 10 s old, as it would behind a stalled connection.
    skew = 10_000;
    expect(tracked.healthy).toBe(false);
    const before = tracked.stats;
    await tracked.mget([key]);
    expect(tracked.stats.redis).toBe(before.redis + 1);
    // The heartbeat's next answered ping restores it.
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 2000, intervalMs: 20 });
  });

  it('reads Redis every time when the server refuses client tracking', async () => {
    const user = `tracked-test-${randomUUID()}`;
    await writer.call('ACL', 'SETUSER', user, 'on', '>pw-for-test', '~*', '&*', '+@all', '-client');
    const url = new URL(testEnv().redisUrl);
    url.username = user;
    url.password = 'pw-for-test';
    const limited = new Redis(url.toString(), { maxRetriesPerRequest: 2 });
    try {
      const prefix = `test:tracked:${randomUUID()}:`;
      const { tracked } = track(prefix, { redis: limited });
      const key = `${prefix}k`;
      await set(key, 'v1');
      expect(await limited.get(key)).toBe('v1');
      // Give the set-up every chance to (wrongly) succeed.
      await new Promise((r) => setTimeout(r, 300));
      expect(tracked.healthy).toBe(false);
      expect(await tracked.mget([key])).toEqual(['v1']);
      await set(key, 'v2');
      expect(await tracked.mget([key])).toEqual(['v2']);
      expect(tracked.stats).toEqual({ memory: 0, redis: 2 });
    } finally {
      limited.disconnect();
      await writer.call('ACL', 'DELUSER', user);
    }
  });

  it('with a staleness of 0 opens no connection and reads Redis every time', async () => {
    const prefix = `test:tracked:${randomUUID()}:`;
    const { tracked, name } = track(prefix, { maxStalenessMs: 0 });
    const key = `${prefix}k`;
    await tracked.mget([key]);
    await set(key, 'v');
    expect(await tracked.mget([key])).toEqual(['v']);
    expect(tracked.stats).toEqual({ memory: 0, redis: 2 });
    expect(String(await writer.call('CLIENT', 'LIST'))).not.toContain(name);
  });

  it('makes RevocationStore refuse a session revoked after its markers were remembered', async () => {
    const { tracked } = track(RevocationStore.trackedPrefixes);
    const store = new RevocationStore(redis, 60, tracked);
    const writerStore = new RevocationStore(writer, 60);
    await expectEventually(() => expect(tracked.healthy).toBe(true), { timeoutMs: 5000, intervalMs: 20 });
    const sessionId = randomUUID();
    const userId = randomUUID();
    const issuedAt = Math.floor(Date.now() / 1000) - 5;
    expect(await store.isRevoked(sessionId, userId, issuedAt)).toBe(false);
    expect(await store.isRevoked(sessionId, userId, issuedAt)).toBe(false);
    expect(tracked.stats.memory).toBeGreaterThanOrEqual(1);
    written.push(RevocationStore.sessionKey(sessionId), RevocationStore.userKey(userId));
    await writerStore.revokeSession(sessionId);
    await expectEventually(async () => expect(await store.isRevoked(sessionId, userId, issuedAt)).toBe(true), { timeoutMs: 1000, intervalMs: 5 });
    await writerStore.revokeUser(userId);
    const other = randomUUID();
    await expectEventually(async () => expect(await store.isRevoked(other, userId, issuedAt)).toBe(true), { timeoutMs: 1000, intervalMs: 5 });
  });
});
