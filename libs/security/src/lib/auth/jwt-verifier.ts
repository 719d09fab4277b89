import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { RecentlyUsed } from '../recently-used';
import { AuthUnavailableError, InvalidTokenError } from './auth.errors';
import type { Principal } from './principal';

export type JwtVerifierOptions = {
  /** The authorization service's key set, e.g. http://127.0.0.1:3001/.well-known/jwks.json */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A key set to use instead of fetching `jwksUrl` (tests, or the authorization service itself). */
  keySet?: JWTVerifyGetKey;
  /**
   * Tokens whose verification is remembered at most (least recently used dropped first); default
   * 10,000, 0 verifies every time. Only tokens that passed are remembered.
   */
  cacheMaxEntries?: number;
  /** How long a passed verification is remembered (ms), never past the token's `exp`; default 60,000. */
  cacheTtlMs?: number;
  /** The clock (epoch ms), injected for tests. */
  now?: () => number;
};

type Verified = { principal: Principal; untilMs: number };

/** Only asymmetric algorithms Warden issues; `none` and HMAC are refused whatever the header says. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256'];

const stringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * Verifies access tokens against the authorization service's JWKS (fetched once, cached, and
 * re-fetched when a token names an unknown `kid`, so key rotation needs no restart).
 *
 * A client sends the same token with every request until it expires, so a token that passed is
 * remembered (keyed by its exact text) for `cacheTtlMs`, never past its `exp`: the signature check
 * (WebCrypto, on the thread pool) is done once per token and minute instead of on every request.
 * Revocation is not cached: callers check the markers on every request. A signing key withdrawn
 * from the key set stops being accepted once the remembered verifications made with it lapse (at
 * most `cacheTtlMs`).
 */
export class JwtVerifier {
  private readonly keySet: JWTVerifyGetKey;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  private readonly verified: RecentlyUsed<string, Verified>;

  constructor(private readonly options: JwtVerifierOptions) {
    this.keySet =
      options.keySet ??
      createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 5_000, timeoutDuration: 2_000 });
    this.verified = new RecentlyUsed(options.cacheMaxEntries ?? 10_000);
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<Principal> {
    const nowMs = this.now();
    const held = this.verified.get(token);
    if (held && held.untilMs > nowMs) return { ...held.principal, roles: [...held.principal.roles] };
    if (held) this.verified.delete(token);
    const { principal, expiresAtSeconds } = await this.verifyNow(token, nowMs);
    this.remember(token, principal, Math.min(nowMs + this.cacheTtlMs, expiresAtSeconds * 1000));
    return principal;
  }

  private async verifyNow(token: string, nowMs: number): Promise<{ principal: Principal; expiresAtSeconds: number }> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, {
        currentDate: new Date(nowMs),
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSENotSupported) {
        throw new AuthUnavailableError('the signing keys cannot be read right now');
      }
      if (error instanceof TypeError || (error as { code?: string }).code === 'ECONNREFUSED') {
        throw new AuthUnavailableError('the signing keys cannot be read right now');
      }
      throw new InvalidTokenError();
    }
    const { sub, sid, username, roles, teamId, iat, exp } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof username !== 'string' ||
      !stringArray(roles) ||
      !(teamId === null || teamId === undefined || typeof teamId === 'string') ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    ) {
      throw new InvalidTokenError('the access token is missing required claims');
    }
    return { principal: { userId: sub, sessionId: sid, username, roles, teamId: teamId ?? null, issuedAt: iat }, expiresAtSeconds: exp };
  }

  private remember(token: string, principal: Principal, untilMs: number): void {
    if (untilMs <= this.now()) return;
    this.verified.set(token, { principal: { ...principal, roles: [...principal.roles] }, untilMs });
  }
}
