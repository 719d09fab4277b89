import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileAbility, DEFAULT_ROLES_BY_NAME } from '@warden/security';

/**
 * A stand-in for the authorization service's `GET /v1/users/:id/ability` in the audit's e2e tests:
 * a real HTTP server answering `compileAbility` over the default roles, for the roles the
 * caller's token names (the token is not verified here: the app under test has verified it). Like
 * the real endpoint it answers only about the token's own subject.
 */
export class AbilityServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<AbilityServer> {
    const server = createServer((req, res) => {
      const match = /^\/v1\/users\/([^/?]+)\/ability$/.exec(req.url ?? '');
      const token = /^Bearer [^.]+\.([^.]+)\.[^.]*$/.exec(req.headers.authorization ?? '');
      if (req.method !== 'GET' || !match) return void res.writeHead(404).end();
      if (!token) return void res.writeHead(401).end();
      const claims = JSON.parse(Buffer.from(token[1], 'base64url').toString('utf8')) as { sub?: string; roles?: string[] };
      const userId = decodeURIComponent(match[1]);
      if (claims.sub !== userId) return void res.writeHead(403).end();
      const compiled = compileAbility({
        user: { userId, roles: claims.roles ?? [], teamIds: [], clearance: 'restricted', status: 'active' },
        roles: DEFAULT_ROLES_BY_NAME,
        grants: [],
        now: new Date(),
        policyVersion: 0,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(compiled));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new AbilityServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
