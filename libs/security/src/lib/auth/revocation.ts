import type Redis from 'ioredis';
import { PolicyClient } from '../policy-client/policy-client';

/** Where `check` reads the markers: Redis itself, or a tracked copy of them (`TrackedKeys`). */
export type MarkerReader = { mget(keys: readonly string[]): Promise<Array<string | null>> };

/**
 * Revocation markers in Redis, checked by every service on every request, so that a revoked
 * session or a disabled user is refused within a second whatever their token's expiry.
 *
 * - `warden:revoked:session:<sessionId>`: the session was revoked (value: when, epoch ms).
 * - `warden:revoked:user:<userId>`: every token of the user issued before this instant (epoch ms)
 *   is refused (disable, offboarding, "sign out everywhere").
 *
 * Markers live at least as long as the longest access token (`ttlSeconds`). With `reader`, a
 * `TrackedKeys` over `trackedPrefixes`, `check` is answered from memory that Redis keeps true (a
 * new marker is announced at once), and reads Redis whenever that memory cannot be trusted.
 */
export class RevocationStore {
  /** The key prefixes `check` reads: revocation markers and policy versions. */
  static readonly trackedPrefixes: readonly string[] = ['warden:revoked:', PolicyClient.versionKey('')];

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = 24 * 3600,
    private readonly reader: MarkerReader = { mget: (keys) => redis.mget(...keys) },
  ) {}

  static sessionKey(sessionId: string): string {
    return `warden:revoked:session:${sessionId}`;
  }

  static userKey(userId: string): string {
    return `warden:revoked:user:${userId}`;
  }

  async revokeSession(sessionId: string, at: Date = new Date()): Promise<void> {
    await this.redis.set(RevocationStore.sessionKey(sessionId), String(at.getTime()), 'EX', this.ttlSeconds);
  }

  /** Refuses every token of the user issued up to `at`. */
  async revokeUser(userId: string, at: Date = new Date()): Promise<void> {
    await this.redis.set(RevocationStore.userKey(userId), String(at.getTime()), 'EX', this.ttlSeconds);
  }

  /** Lifts a user-wide marker (e.g. a user re-enabled): tokens issued after it were valid anyway. */
  async clearUser(userId: string): Promise<void> {
    await this.redis.del(RevocationStore.userKey(userId));
  }

  /**
   * Whether a token (session id, user id, issued-at in epoch seconds) is revoked. Throws when
   * Redis cannot answer: callers fail closed.
   */
  async isRevoked(sessionId: string, userId: string, issuedAtSeconds: number): Promise<boolean> {
    return (await this.check(sessionId, userId, issuedAtSeconds)).revoked;
  }

  /**
   * `isRevoked`, and in the same round trip the user's policy version (the raw value of
   * `PolicyClient.versionKey(userId)`, null when none is set), which the request's policy needs
   * next. Throws when Redis cannot answer: callers fail closed.
   */
  async check(sessionId: string, userId: string, issuedAtSeconds: number): Promise<{ revoked: boolean; policyVersion: string | null }> {
    const [session, user, policyVersion] = await this.reader.mget([
      RevocationStore.sessionKey(sessionId),
      RevocationStore.userKey(userId),
      PolicyClient.versionKey(userId),
    ]);
    const revoked = session !== null || (user !== null && issuedAtSeconds * 1000 <= Number(user));
    return { revoked, policyVersion };
  }
}
