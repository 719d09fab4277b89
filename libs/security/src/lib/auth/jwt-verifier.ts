import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthUnavailableError, InvalidTokenError } from './auth.errors';
import type { Principal } from './principal';

export type JwtVerifierOptions = {
  /** The authorization service's key set, e.g. http://127.0.0.1:3001/.well-known/jwks.json */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A key set to use instead of fetching `jwksUrl` (tests, or the authorization service itself). */
  keySet?: JWTVerifyGetKey;
};

/** Only asymmetric algorithms Warden issues; `none` and HMAC are refused whatever the header says. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256'];

const stringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * Verifies access tokens against the authorization service's JWKS (fetched once, cached, and
 * re-fetched when a token names an unknown `kid`, so key rotation needs no restart).
 */
export class JwtVerifier {
  private readonly keySet: JWTVerifyGetKey;

  constructor(private readonly options: JwtVerifierOptions) {
    this.keySet =
      options.keySet ??
      createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 5_000, timeoutDuration: 2_000 });
  }

  async verify(token: string): Promise<Principal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, {
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
    const { sub, sid, username, roles, teamId, iat } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof username !== 'string' ||
      !stringArray(roles) ||
      !(teamId === null || teamId === undefined || typeof teamId === 'string') ||
      typeof iat !== 'number'
    ) {
      throw new InvalidTokenError('the access token is missing required claims');
    }
    return { userId: sub, sessionId: sid, username, roles, teamId: teamId ?? null, issuedAt: iat };
  }
}
