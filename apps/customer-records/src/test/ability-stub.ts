import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Classification } from '@warden/contracts';
import { compileAbility, DEFAULT_ROLES_BY_NAME, type Permission } from '@warden/security';

/**
 * A user as the stub's policy knows them. `grants`: permissions given as one active grant (as an
 * approved, time-boxed `Grant` would), for what no default role allows (e.g. erasing a customer).
 */
export type StubUser = { roles: string[]; teamIds?: string[]; clearance?: Classification; grants?: Permission[] };

/**
 * A stand-in for the authorization service's `GET /v1/users/:id/ability` in tests of
 * customer-records: a real HTTP server answering `compileAbility` output over `DEFAULT_ROLES`.
 * Like the real endpoint it requires a bearer token whose subject is the user asked about, or a
 * service principal's (`system:…`) (the token is not verified here: the app under test has
 * verified it already). Unknown users are 404
 * unless a `fallback` is given.
 */
export class AbilityStub {
  private constructor(
    /** The user ids asked about, in order. */
    readonly requests: string[],
    private readonly server: Server,
    private readonly users: Map<string, StubUser>,
    readonly url: string,
  ) {}

  static async start(users: Record<string, StubUser> = {}, fallback?: StubUser): Promise<AbilityStub> {
    const known = new Map(Object.entries(users));
    const requests: string[] = [];
    const server = createServer((req, res) => {
      const match = /^\/v1\/users\/([^/?]+)\/ability$/.exec(req.url ?? '');
      if (req.method !== 'GET' || !match) return void res.writeHead(404).end();
      const userId = decodeURIComponent(match[1]);
      requests.push(userId);
      const token = /^Bearer [^.]+\.([^.]+)\.[^.]*$/.exec(req.headers.authorization ?? '');
      if (!token) return void res.writeHead(401).end();
      const subject = (JSON.parse(Buffer.from(token[1], 'base64url').toString('utf8')) as { sub?: string })
        .sub;
      // A service principal (`system:<client>`) may read any user's ability, as the real endpoint allows.
      if (subject !== userId && !subject?.startsWith('system:')) return void res.writeHead(403).end();
      const user = known.get(userId) ?? fallback;
      if (!user) return void res.writeHead(404).end();
      const now = new Date();
      const grants = user.grants?.length
        ? [
            {
              id: `stub-grant-${userId}`,
              userId,
              permissions: user.grants,
              status: 'active' as const,
              expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
            },
          ]
        : [];
      const compiled = compileAbility({
        user: {
          userId,
          roles: user.roles,
          teamIds: user.teamIds ?? [],
          clearance: user.clearance ?? 'restricted',
          status: 'active',
        },
        roles: DEFAULT_ROLES_BY_NAME,
        grants,
        now,
        policyVersion: 0,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(compiled));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new AbilityStub(requests, server, known, `http://127.0.0.1:${port}`);
  }

  /** Adds or replaces a user. */
  set(userId: string, user: StubUser): void {
    this.users.set(userId, user);
  }

  /** Stops answering: every connection is closed, so the next request is refused. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
