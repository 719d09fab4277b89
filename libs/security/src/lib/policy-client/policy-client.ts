import type Redis from 'ioredis';
import { RecentlyUsed } from '../recently-used';
import { AuthUnavailableError } from '../auth/auth.errors';
import type { Principal } from '../auth/principal';
import { createPolicy, type Policy } from '../policy/ability';
import type { CompiledAbility } from '../policy/policy.types';
import { parseCompiledAbility } from './compiled-ability.schema';

/**
 * Fetches a user's compiled ability from the authorization service
 * (`GET /v1/users/<userId>/ability`) with the caller's bearer token. Supplied by the service,
 * which wraps it in its circuit breaker (libs/security does not depend on libs/platform).
 */
export type FetchAbility = (userId: string, bearerToken: string) => Promise<unknown>;

export type PolicyClientOptions = {
  redis: Redis;
  fetchAbility: FetchAbility;
  /** How long a fetched ability stays in the shared Redis cache (s); never past its `validUntil`. */
  cacheTtlSeconds?: number;
  /** How long a policy stays in this process's memory (ms), per user and policy version. */
  localTtlMs?: number;
  /** Entries kept in this process's memory; the least recently used is dropped first. */
  localMaxEntries?: number;
  /** The clock (epoch ms), injected for tests. */
  now?: () => number;
  /** Told about failures that are not the caller's concern (e.g. a cache write that failed). */
  onWarning?: (message: string, error: Error) => void;
};

type LocalEntry = { policy: Policy; expiresAtMs: number };

/**
 * The caller's policy for a request, built from their compiled ability:
 *
 * 1. the user's policy version from Redis `warden:policy-version:<userId>` (missing: 0), read on
 *    every request so that a change of roles, team or grants applies at once (by the guard, with
 *    the revocation markers, when the principal carries it; else here);
 * 2. a policy held in memory for that user and version (up to `localTtlMs`);
 * 3. else the compiled ability cached in Redis `warden:ability:<userId>:<version>` (the key the
 *    authorization service writes too);
 * 4. else fetched from the authorization service, validated and cached.
 *
 * Fails closed: whatever goes wrong (Redis, the authorization service, an ability of the wrong
 * shape, for another user or already expired), the call throws `AuthUnavailableError` (503) and
 * the request is refused. No token or ability content reaches the error.
 */
export class PolicyClient {
  private readonly redis: Redis;
  private readonly fetchAbility: FetchAbility;
  private readonly cacheTtlSeconds: number;
  private readonly localTtlMs: number;
  private readonly now: () => number;
  private readonly onWarning: (message: string, error: Error) => void;
  private readonly local: RecentlyUsed<string, LocalEntry>;

  constructor(options: PolicyClientOptions) {
    this.redis = options.redis;
    this.fetchAbility = options.fetchAbility;
    this.cacheTtlSeconds = options.cacheTtlSeconds ?? 600;
    this.localTtlMs = options.localTtlMs ?? 30_000;
    this.local = new RecentlyUsed(options.localMaxEntries ?? 1000);
    this.now = options.now ?? Date.now;
    this.onWarning = options.onWarning ?? (() => undefined);
  }

  static versionKey(userId: string): string {
    return `warden:policy-version:${userId}`;
  }

  static abilityKey(userId: string, version: number): string {
    return `warden:ability:${userId}:${version}`;
  }

  async abilityFor(principal: Principal, bearerToken: string): Promise<Policy> {
    const userId = principal.userId;
    const seen = principal.policyVersionAtAuth;
    const version = seen?.userId === userId ? parseVersion(seen.raw) : await this.currentVersion(userId);
    const localKey = `${userId}:${version}`;
    const nowMs = this.now();
    const held = this.local.get(localKey);
    if (held && held.expiresAtMs > nowMs) return held.policy;
    if (held) this.local.delete(localKey);

    const compiled =
      (await this.cached(userId, version, nowMs)) ??
      (await this.fetched(userId, version, bearerToken, nowMs));
    let policy: Policy;
    try {
      policy = createPolicy(compiled);
    } catch (error) {
      throw unavailable('the compiled ability is malformed', error);
    }
    this.remember(localKey, policy, Math.min(nowMs + this.localTtlMs, validUntilMs(compiled)));
    return policy;
  }

  /** Drops every policy held in memory (e.g. in tests). */
  clearLocal(): void {
    this.local.clear();
  }

  private async currentVersion(userId: string): Promise<number> {
    let raw: string | null;
    try {
      raw = await this.redis.get(PolicyClient.versionKey(userId));
    } catch (error) {
      throw unavailable('the policy version cannot be read', error);
    }
    return parseVersion(raw);
  }

  /** The ability cached in Redis, unless missing, of another shape or user, or expired. */
  private async cached(userId: string, version: number, nowMs: number): Promise<CompiledAbility | null> {
    let raw: string | null;
    try {
      raw = await this.redis.get(PolicyClient.abilityKey(userId, version));
    } catch (error) {
      throw unavailable('the ability cache cannot be read', error);
    }
    if (raw === null) return null;
    let compiled: CompiledAbility | null = null;
    try {
      compiled = parseCompiledAbility(JSON.parse(raw));
    } catch {
      compiled = null;
    }
    // A bad or stale entry is not trusted: fetch a fresh one instead.
    if (!compiled || compiled.userId !== userId || validUntilMs(compiled) <= nowMs) return null;
    return compiled;
  }

  private async fetched(
    userId: string,
    version: number,
    bearerToken: string,
    nowMs: number,
  ): Promise<CompiledAbility> {
    let body: unknown;
    try {
      body = await this.fetchAbility(userId, bearerToken);
    } catch (error) {
      throw unavailable('the authorization service did not give the ability', error);
    }
    const compiled = parseCompiledAbility(body);
    if (!compiled) throw unavailable('the authorization service gave an ability of an unexpected shape');
    if (compiled.userId !== userId)
      throw unavailable('the authorization service gave the ability of another user');
    const untilMs = validUntilMs(compiled);
    if (untilMs <= nowMs) throw unavailable('the authorization service gave an expired ability');

    // Cached under the version it was compiled at; an older one than the version read is not
    // cached (it would be served for a version it does not describe).
    const cacheVersion = compiled.policyVersion ?? version;
    const ttl = Math.min(this.cacheTtlSeconds, Math.floor((untilMs - nowMs) / 1000));
    if (cacheVersion >= version && ttl >= 1) {
      await this.redis
        .set(PolicyClient.abilityKey(userId, cacheVersion), JSON.stringify(compiled), 'EX', ttl)
        .catch((error: Error) => this.onWarning('could not cache a compiled ability', error));
    }
    return compiled;
  }

  private remember(key: string, policy: Policy, expiresAtMs: number): void {
    if (expiresAtMs <= this.now()) return;
    this.local.set(key, { policy, expiresAtMs });
  }
}

/** A stored policy version (missing: 0); anything else than a version fails closed. */
function parseVersion(raw: string | null): number {
  if (raw === null) return 0;
  const version = Number(raw);
  if (!Number.isSafeInteger(version) || version < 0) throw unavailable('the policy version is not a version');
  return version;
}

function validUntilMs(compiled: CompiledAbility): number {
  return compiled.validUntil === null ? Number.POSITIVE_INFINITY : Date.parse(compiled.validUntil);
}

function unavailable(reason: string, cause?: unknown): AuthUnavailableError {
  const error = new AuthUnavailableError(`the caller's policy cannot be read: ${reason}`);
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}
