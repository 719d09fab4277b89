import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

export type IssuedTokenClaims = {
  userId?: string;
  sessionId?: string;
  username?: string;
  roles?: string[];
  teamId?: string | null;
  /** Seconds until expiry (negative: already expired). */
  expiresIn?: number;
  issuer?: string;
  audience?: string;
};

/**
 * A stand-in for the authorization service's token endpoint in tests of other services: a real
 * HTTP server publishing an Ed25519 JWKS, and a signer for access tokens with Warden's claims.
 */
export class TestTokenIssuer {
  private constructor(
    private readonly server: Server,
    private readonly privateKey: CryptoKey,
    readonly kid: string,
    readonly jwksUrl: string,
  ) {}

  static readonly issuer = 'warden-authorization';
  static readonly audience = 'warden';

  static async start(): Promise<TestTokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = randomUUID();
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] });
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new TestTokenIssuer(server, privateKey, kid, `http://127.0.0.1:${port}/.well-known/jwks.json`);
  }

  /** A signed access token; defaults describe a fresh session of a staff user. */
  async issue(claims: IssuedTokenClaims = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sid: claims.sessionId ?? randomUUID(),
      username: claims.username ?? 'test.user',
      roles: claims.roles ?? ['staff'],
      teamId: claims.teamId ?? null,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid })
      .setSubject(claims.userId ?? randomUUID())
      .setIssuer(claims.issuer ?? TestTokenIssuer.issuer)
      .setAudience(claims.audience ?? TestTokenIssuer.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.expiresIn ?? 300))
      .sign(this.privateKey);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
