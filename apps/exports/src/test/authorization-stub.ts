import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileAbility, DEFAULT_ROLES_BY_NAME } from '@warden/security';
import type { TestTokenIssuer } from '@warden/testing';

export type StubUser = { roles: string[]; teamIds?: string[] };

/**
 * A stand-in for the authorization service in exports' end-to-end tests: `GET /v1/users/:id/ability`
 * (compiled over the default roles; for the user's own token or a system principal's) and
 * `POST /v1/auth/service-token` (client credentials → a `system:<clientId>` token signed by the
 * test issuer). `stop()` makes it unreachable.
 */
export class AuthorizationStub {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** Service-token requests answered. */
    readonly tokenRequests: string[],
  ) {}

  static async start(issuer: TestTokenIssuer, users: Map<string, StubUser>, clients: Record<string, string>): Promise<AuthorizationStub> {
    const tokenRequests: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          if (req.method === 'POST' && req.url === '/v1/auth/service-token') {
            const { clientId, clientSecret } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
            if (!clientId || clients[clientId] !== clientSecret) return void res.writeHead(401).end();
            tokenRequests.push(clientId);
            const accessToken = await issuer.issue({ userId: `system:${clientId}`, username: clientId, roles: ['system'], expiresIn: 300 });
            return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken, expiresIn: 300 }));
          }
          const match = /^\/v1\/users\/([^/?]+)\/ability$/.exec(req.url ?? '');
          if (req.method !== 'GET' || !match) return void res.writeHead(404).end();
          const userId = decodeURIComponent(match[1]);
          const token = /^Bearer [^.]+\.([^.]+)\.[^.]*$/.exec(req.headers.authorization ?? '');
          if (!token) return void res.writeHead(401).end();
          const subject = (JSON.parse(Buffer.from(token[1], 'base64url').toString('utf8')) as { sub?: string }).sub ?? '';
          if (subject !== userId && !subject.startsWith('system:')) return void res.writeHead(403).end();
          const user = users.get(userId);
          if (!user) return void res.writeHead(404).end();
          const compiled = compileAbility({
            user: { userId, roles: user.roles, teamIds: user.teamIds ?? [], clearance: 'restricted', status: 'active' },
            roles: DEFAULT_ROLES_BY_NAME,
            grants: [],
            now: new Date(),
            policyVersion: 0,
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(compiled));
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new AuthorizationStub(server, `http://127.0.0.1:${port}`, tokenRequests);
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
