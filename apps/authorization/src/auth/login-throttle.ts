import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export type ThrottleSettings = {
  maxFailures: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  ipMaxFailures: number;
  ipWindowSeconds: number;
};

/** How long a name stays locked after `failures` failures: base, doubling per failure past the limit, capped. */
export function lockoutSeconds(failures: number, s: Pick<ThrottleSettings, 'maxFailures' | 'lockoutBaseSeconds' | 'lockoutMaxSeconds'>): number {
  if (failures < s.maxFailures) return 0;
  return Math.min(s.lockoutBaseSeconds * 2 ** Math.min(failures - s.maxFailures, 20), s.lockoutMaxSeconds);
}

/** SHA-256 (hex) of the lower-cased name: the key of its counters, and what LoginFailed carries. */
export const usernameHash = (username: string): string => createHash('sha256').update(username.trim().toLowerCase()).digest('hex');

/** How long failures of a name are remembered (a success clears them). */
const FAILURE_MEMORY_SECONDS = 24 * 3600;

/**
 * Failed-login counters in Redis, shared by every instance: per user name (known or not, so a
 * lock says nothing about existence) with a growing lock, and per client IP in a fixed window.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly settings: ThrottleSettings,
  ) {}

  private static key = (kind: string, id: string): string => `warden:auth:login:${kind}:${id}`;

  /** Seconds until the IP may try again, or 0. */
  async ipRetryAfter(ip: string): Promise<number> {
    const key = LoginThrottle.key('ip', ip);
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    return Number(count ?? 0) >= this.settings.ipMaxFailures ? Math.max(ttl, 1) : 0;
  }

  /** Seconds until the name may try again, or 0. */
  async lockedFor(nameHash: string): Promise<number> {
    const ttl = await this.redis.ttl(LoginThrottle.key('lock', nameHash));
    return ttl > 0 ? ttl : 0;
  }

  /** Counts a failure; returns the lock it set (seconds), or 0. */
  async recordFailure(nameHash: string, ip: string): Promise<number> {
    const ipKey = LoginThrottle.key('ip', ip);
    const userKey = LoginThrottle.key('fail', nameHash);
    const results = await this.redis
      .multi()
      .incr(userKey)
      .expire(userKey, FAILURE_MEMORY_SECONDS)
      .incr(ipKey)
      .expire(ipKey, this.settings.ipWindowSeconds, 'NX')
      .exec();
    const failures = Number(results?.[0]?.[1] ?? 0);
    const lock = lockoutSeconds(failures, this.settings);
    if (lock > 0) await this.redis.set(LoginThrottle.key('lock', nameHash), String(failures), 'EX', lock);
    return lock;
  }

  async recordSuccess(nameHash: string): Promise<void> {
    await this.redis.del(LoginThrottle.key('fail', nameHash), LoginThrottle.key('lock', nameHash));
  }
}
