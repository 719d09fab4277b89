import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubUser = { id: string; status: string; teamId: string | null; managerId: string | null };
export type StubTeam = { id: string; parentId: string | null };

/**
 * STUB of the authorization and audit services over real HTTP, for the failure paths of
 * offboarding.e2e-spec.ts (a freeze held or answering 503, an audit answering 503 — which the real
 * services cannot be made to do on cue). The happy path runs against the real apps in
 * offboarding-real-services.e2e-spec.ts. Serves a service token for the configured client secret,
 * users, teams, departing and its cancellation, an idempotent freeze (the real answer's fields) and the activity
 * endpoint (set `activity` to a real audit answer, see audit-activity.fixture.ts). Records every call.
 */
export class DirectoryStub {
  readonly users = new Map<string, StubUser>();
  readonly teams: StubTeam[] = [];
  readonly calls: Array<{ method: string; path: string; body: unknown; at: number }> = [];
  readonly frozen = new Map<string, number>();
  readonly departing = new Map<string, string>();
  activity: Record<string, unknown> = {};
  failFreeze = false;
  /** The departing mark's cancellation answers 503. */
  failCancelDeparture = false;
  failAudit = false;
  /** Holds the freeze answer until released (to kill the service in the middle of a step). */
  holdFreeze: Promise<void> | null = null;
  /** Holds a departing mark (before it takes effect) until released (to cancel the case meanwhile). */
  holdDeparting: Promise<void> | null = null;
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
    if (method === 'POST' && (m = /^\/v1\/users\/([^/]+)\/departing$/.exec(path))) {
      if (this.holdDeparting) await this.holdDeparting;
      const user = this.users.get(m[1]);
      if (!user) return send(404);
      user.status = 'departing';
      this.departing.set(m[1], (body as { effectiveAt: string }).effectiveAt);
      return send(200, user);
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
    if (method === 'POST' && (m = /^\/v1\/users\/([^/]+)\/freeze$/.exec(path))) {
      if (this.holdFreeze) await this.holdFreeze;
      if (this.failFreeze) return send(503, { code: 'SERVICE_UNAVAILABLE' });
      const user = this.users.get(m[1]);
      if (!user) return send(404);
      const first = !this.frozen.has(m[1]);
      if (first) this.frozen.set(m[1], Date.now());
      user.status = 'offboarded';
      // As the authorization service answers: a repeated freeze gives the first one's counts.
      return send(200, { sessionsRevoked: 2, grantsRevoked: 1, alreadyFrozen: !first });
    }
    if (method === 'GET' && (m = /^\/v1\/audit\/users\/([^/]+)\/activity$/.exec(path))) {
      if (this.failAudit) return send(503, { code: 'SERVICE_UNAVAILABLE' });
      return send(200, { ...this.activity, userId: m[1] });
    }
    return send(404);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
