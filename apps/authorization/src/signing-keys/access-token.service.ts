import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@warden/security';
import { SignJWT } from 'jose';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG } from '../core/tokens';
import { SigningKeyService } from './signing-key.service';

export type AccessTokenSubject = Omit<Principal, 'issuedAt'>;

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

  async issue(subject: AccessTokenSubject, now: Date): Promise<string> {
    const { kid, key } = await this.keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ sid: subject.sessionId, username: subject.username, roles: subject.roles, teamId: subject.teamId })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(this.config.AUTH_ISSUER)
      .setAudience(this.config.AUTH_AUDIENCE)
      .setSubject(subject.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.config.ACCESS_TOKEN_TTL_SECONDS)
      .sign(key);
  }
}
