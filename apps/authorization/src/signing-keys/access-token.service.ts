import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@warden/security';
import { SignJWT } from 'jose';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG } from '../core/tokens';
import { SigningKeyService } from './signing-key.service';

export type AccessTokenSubject = Omit<Principal, 'issuedAt'>;

/** The audience of step-up proofs (what the exports service's StepUpVerifier expects). */
export const STEP_UP_AUDIENCE = 'warden-step-up';
/** Lifetime of a step-up proof: the exports service accepts one at most 5 minutes old. */
export const STEP_UP_TTL_SECONDS = 300;

/**
 * Issues access tokens: EdDSA (Ed25519) JWTs with `kid` in the header and `iss`, `aud`, `sub`
 * (user), `sid` (session), `iat`, `exp`, `username`, `roles`, `teamId`. Every service (this one
 * included) verifies them with the shared guard of libs/security against the JWKS.
 */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly keys: SigningKeyService,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
  ) {}

  get ttlSeconds(): number {
    return this.config.ACCESS_TOKEN_TTL_SECONDS;
  }

  /** `ttlSeconds`: the token's lifetime, by default `ACCESS_TOKEN_TTL_SECONDS` (service tokens: 5 minutes). */
  async issue(subject: AccessTokenSubject, now: Date, ttlSeconds: number = this.config.ACCESS_TOKEN_TTL_SECONDS): Promise<string> {
    const { kid, key } = await this.keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ sid: subject.sessionId, username: subject.username, roles: subject.roles, teamId: subject.teamId })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(this.config.AUTH_ISSUER)
      .setAudience(this.config.AUTH_AUDIENCE)
      .setSubject(subject.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(key);
  }

  /**
   * A step-up proof: the same claims as an access token (so the shared JwtVerifier reads it) plus
   * `amr: ["otp"]`, for the audience `warden-step-up` only (never accepted as an access token, whose
   * audience is AUTH_AUDIENCE), bound to the session `sid`, valid STEP_UP_TTL_SECONDS.
   */
  async issueStepUp(subject: AccessTokenSubject, now: Date): Promise<string> {
    const { kid, key } = await this.keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ sid: subject.sessionId, username: subject.username, roles: subject.roles, teamId: subject.teamId, amr: ['otp'] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(this.config.AUTH_ISSUER)
      .setAudience(STEP_UP_AUDIENCE)
      .setSubject(subject.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + STEP_UP_TTL_SECONDS)
      .sign(key);
  }
}
