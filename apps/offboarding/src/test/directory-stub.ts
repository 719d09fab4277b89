import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubUser = { id: string; status: string; teamId: string | null; managerId: string | null };
export type StubTeam = { id: string; parentId: string | null };

/**
 * STUB of the authorization service's HTTP API for the failure paths of offboarding.e2e-spec.ts
 * and the saga int spec (a departing mark's cancellation answering 503, which the real service
 * cannot be made to do on cue); the happy path runs against the real apps in
 * offboarding-real-services.e2e-spec.ts. Serves a service token for the configured client secret,
 * users, teams and the departing mark's cancellation, and records every call. Its users and marks
 * are also what the `StepResponder` acts on when it answers the saga's commands on Kafka.
 */
export class DirectoryStub {
  readonly users = new Map<string, StubUser>();
  readonly teams: StubTeam[] = [];
  readonly calls: Array<{ method: string; path: string; body: unknown; at: number }> = [];
  readonly frozen = new Map<string, number>();
  readonly departing = new Map<string, string>();
  /** The audit's answer to the activity (see audit-activity.fixture.ts), answered by the `StepResponder`. */
  activity: Record<string, unknown> = {};
  /** The departing mark's cancellation answers 503. */
  failCancelDeparture = false;
  private readonly token = randomBytes(16).toString('hex');

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly clientSecret: string,
  ) {}

  static async start(clientSecret: string): Promise<DirectoryStub> {
    let stub: DirectoryStub | null = null;
    const server = createServer((req, res) => void stub?.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stub = new DirectoryStub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientSecret);
    return stub;
  }

  callsTo(pattern: RegExp): number {
    return this.calls.filter((c) => pattern.test(`${c.method} ${c.path}`)).length;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    const url = new URL(req.url ?? '/', 'http://stub');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    this.calls.push({ method, path: `${path}${url.search}`, body, at: Date.now() });
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (method === 'POST' && path === '/v1/auth/service-token') {
      const b = body as { clientId?: string; clientSecret?: string };
      if (b.clientId !== 'offboarding' || b.clientSecret !== this.clientSecret) return send(401, { code: 'INVALID_CLIENT' });
      return send(200, { accessToken: this.token, expiresIn: 900, tokenType: 'Bearer' });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { code: 'INVALID_TOKEN' });
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/v1/teams') return send(200, this.teams);
    if (method === 'GET' && path === '/v1/users') {
      const teamId = url.searchParams.get('teamId');
      return send(200, { items: [...this.users.values()].filter((u) => !teamId || u.teamId === teamId), nextCursor: null });
    }
    if (method === 'GET' && (m = /^\/v1\/users\/([^/]+)$/.exec(path))) {
      const user = this.users.get(m[1]);
      return user ? send(200, user) : send(404, { code: 'USER_NOT_FOUND' });
    }
    if (method === 'POST' && (m = /^\/v1\/users\/([^/]+)\/departing\/cancel$/.exec(path))) {
      if (this.failCancelDeparture) return send(503, { code: 'SERVICE_UNAVAILABLE' });
      const user = this.users.get(m[1]);
      if (!user) return send(404, { code: 'USER_NOT_FOUND' });
      if (user.status === 'offboarded') return send(409, { code: 'USER_OFFBOARDED' });
      if (user.status === 'departing') user.status = 'active';
      this.departing.delete(m[1]);
      return send(200, { status: user.status, departingEffectiveAt: null });
    }
    return send(404);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
