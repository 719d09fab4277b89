import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { type AccessDeniedData, accessDeniedStreamId, type EventRegistry } from '@warden/contracts';
import { BatchedAppender, type EventStore } from '@warden/event-store';
import { type JwtVerifier, type Principal, type RequestWithPrincipal, serviceClientIdOf } from '@warden/security';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import type { ErrorBody } from './errors';
import type { Metrics } from './metrics';
import { commandMetadata } from './request-context';

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;
const WORD = /^[A-Za-z][A-Za-z-]{0,49}$/;
/** Path segments that say where an API lives, not what it is about. */
const PREFIXES = new Set(['api', 'internal', 'v1', 'v2', 'v3']);
/** How long a 403 waits for its record before it is answered anyway (the record may still commit). */
const RECORD_TIMEOUT_MS = 2000;

const METHOD_ACTIONS: Record<string, string> = { GET: 'read', HEAD: 'read', POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/** `customers` → `Customer`, `sensitive-fields` → `SensitiveField`, `policies` → `Policy`. */
const subjectOf = (segment: string): string => {
  const singular = segment.endsWith('ies') ? `${segment.slice(0, -3)}y` : segment.endsWith('ss') ? segment : segment.replace(/s$/, '');
  return singular
    .split('-')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
};

/** The parts of a refused request that make its `AccessDenied` record. Route patterns only, never values. */
export type DeniedRequest = {
  method: string;
  /** The matched route pattern (`/v1/alerts/:id/acknowledge`), or the path when none matched. */
  route: string;
  params: Record<string, unknown>;
};

/**
 * What a 403 says in `AccessDenied` (pure): the subject is the first resource segment of the route
 * pattern (singular, PascalCase), the action the verb segment after it when there is one
 * (`acknowledge`, `approve`, `reveal`), else the method's (`read`, `create`, `update`, `delete`);
 * the resource is the `id` (or `…Id`) route parameter; the reason `role_required` when the guard
 * refused the caller's roles, `field_denied` for a field-level refusal, else `forbidden`.
 */
export function accessDeniedOf(request: DeniedRequest, userId: string, error: ErrorBody): AccessDeniedData {
  const segments = request.route.split('?')[0].split('/').filter(Boolean);
  const literal = (s: string) => !s.startsWith(':') && WORD.test(s);
  const resourceIndex = segments.findIndex((s) => literal(s) && !PREFIXES.has(s.toLowerCase()));
  const subject = resourceIndex >= 0 ? subjectOf(segments[resourceIndex]) : '';
  const last = segments[segments.length - 1] ?? '';
  const verb = resourceIndex >= 0 && segments.length - 1 > resourceIndex && literal(last) ? last : null;
  const action = verb ?? METHOD_ACTIONS[request.method.toUpperCase()] ?? 'request';
  const idParam = Object.entries(request.params).find(([name, value]) => (name === 'id' || /Id$/.test(name)) && typeof value === 'string');
  const resourceId = idParam ? String(idParam[1]).slice(0, 200) || null : null;
  const reason: AccessDeniedData['reason'] =
    error.code === 'FORBIDDEN' && error.message.startsWith('requires one of the roles')
      ? 'role_required'
      : /FIELD/.test(error.code)
        ? 'field_denied'
        : 'forbidden';
  return {
    userId,
    action: WORD.test(action) ? action : 'request',
    subject: WORD.test(subject) ? subject : 'Resource',
    resourceId,
    reason,
  };
}

export type AccessDenialServiceOptions = {
  /** The service that answered the 403 (names the stream, see `accessDeniedStreamId`). */
  service: string;
  store: EventStore;
  dataSource: DataSource;
  registry: EventRegistry;
  verifier: JwtVerifier;
  metrics: Metrics;
};

/**
 * Records every 403 answered to an authenticated person as `AccessDenied` on their access stream
 * in this service (`accessDeniedStreamId`, routed to `warden.access.v1` by the relay) through a batched appender, so
 * that the anomaly-alerting service can count denial bursts. Service principals (`system:*`) are
 * not recorded: a misconfigured service is an operations matter, not a person probing.
 *
 * Fail-open by design: when the record cannot be written (Postgres down, 2 s timeout), the denial
 * is logged (without the request's values) and counted in `warden_access_denials_total{outcome="unrecorded"}`,
 * and the 403 is still answered. The request was refused either way: no data left, so nothing is
 * answered without its audit event (which is why reads fail closed); turning a refusal into a 503
 * would only hide the refusal from the caller and the logs.
 */
@Injectable()
export class AccessDenialService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AccessDenials');
  private readonly appender: BatchedAppender;

  constructor(private readonly options: AccessDenialServiceOptions) {
    this.appender = new BatchedAppender({
      store: options.store,
      dataSource: options.dataSource,
      registry: options.registry,
      maxWaitMs: 2,
      maxBatch: 200,
      flushWhenIdle: true,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.appender.close();
  }

  /** Never throws: resolves once the record committed, failed (logged) or timed out. */
  async record(req: Request, error: ErrorBody): Promise<void> {
    let principal: Principal | null = null;
    try {
      principal = await this.principalOf(req);
      if (!principal || serviceClientIdOf(principal) !== null) return;
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const data = accessDeniedOf(
        { method: req.method, route: typeof route === 'string' ? `${req.baseUrl}${route}` : req.path, params: req.params ?? {} },
        principal.userId,
        error,
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not committed within ${RECORD_TIMEOUT_MS} ms`)), RECORD_TIMEOUT_MS);
      });
      try {
        await Promise.race([
          this.appender.record(accessDeniedStreamId(this.options.service, principal.userId), { type: 'AccessDenied', data }, commandMetadata(req, principal)),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
      this.options.metrics.accessDenials.inc({ outcome: 'recorded' });
    } catch (failure) {
      this.options.metrics.accessDenials.inc({ outcome: 'unrecorded' });
      this.logger.warn(
        { userId: principal?.userId ?? null, method: req.method, err: (failure as Error)?.message ?? String(failure) },
        'access denial not recorded; answering 403 anyway',
      );
    }
  }

  /** The guard sets the principal once every check passed; a role refusal comes before that, so the token is read again. */
  private async principalOf(req: Request): Promise<Principal | null> {
    const known = (req as RequestWithPrincipal).principal;
    if (known) return known;
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) return null;
    try {
      return await this.options.verifier.verify(match[1]);
    } catch {
      return null;
    }
  }
}
