import type Redis from 'ioredis';

/** One fixed window per key: the first hit starts it, later hits count until it expires. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetSeconds: number };

/**
 * Counts requests per key in Redis, so every gateway instance shares the counts. A Redis error
 * propagates: the caller refuses the request (fail closed) rather than letting it through uncounted.
 */
export class RedisRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'warden:gateway:rate',
  ) {}

  async hit(bucket: string, client: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const key = `${this.prefix}:${bucket}:${client}`;
    const [count, ttlMs] = (await this.redis.eval(HIT, 1, key, String(windowSeconds * 1000))) as [
      number,
      number,
    ];
    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
    };
  }
}
