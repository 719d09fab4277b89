import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';

/** Sets the key to ARGV[1] only if that is higher: mirrors of concurrent bumps never go backwards. */
const SET_IF_HIGHER = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

/**
 * Per-user policy versions. Postgres (`policy_versions`, bumped by the `policy-version` projection
 * in the transaction of the change) is the truth; Redis `warden:policy-version:<userId>` is its
 * mirror for the other services, written after commit and repaired whenever an instance builds a
 * user's policy (a read of their ability or a decision; an instance holds a built policy 30 s at most).
 */
@Injectable()
export class PolicyVersionService {
  private readonly logger = new Logger('PolicyVersions');

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  static redisKey(userId: string): string {
    return `warden:policy-version:${userId}`;
  }

  /** The user's version in Postgres; 0 for a user never seen. */
  async current(userId: string): Promise<number> {
    const rows: Array<{ version: string }> = await this.dataSource.query(`SELECT version FROM ${this.s}.policy_versions WHERE user_id = $1`, [userId]);
    return rows.length > 0 ? Number(rows[0].version) : 0;
  }

  /** Mirrors the versions of these users into Redis. */
  async mirror(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const rows: Array<{ user_id: string; version: string }> = await this.dataSource.query(
      `SELECT user_id, version FROM ${this.s}.policy_versions WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    );
    await this.write(rows);
  }

  /** Mirrors every version bumped by a command whose metadata said `now` (the events' `occurredAt`). */
  async mirrorSince(since: Date): Promise<void> {
    const rows: Array<{ user_id: string; version: string }> = await this.dataSource.query(
      `SELECT user_id, version FROM ${this.s}.policy_versions WHERE updated_at >= $1`,
      [since],
    );
    await this.write(rows);
  }

  /** Best effort: a failed mirror is repaired at the next bump or policy build, and logged. */
  async write(rows: ReadonlyArray<{ user_id: string; version: string | number }>): Promise<void> {
    try {
      for (const row of rows) await this.redis.eval(SET_IF_HIGHER, 1, PolicyVersionService.redisKey(row.user_id), String(row.version));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not mirror policy versions to Redis');
    }
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
