import { systemActor, type ActorGeo } from '@warden/contracts';
import type { CommandMetadata } from '@warden/event-store';
import { commandMetadata } from '@warden/platform';
import type { Principal } from '@warden/security';
import type { Request } from 'express';

const ANONYMOUS: Principal = { userId: 'anonymous', sessionId: '', username: 'anonymous', roles: [], teamId: null, issuedAt: 0 };

/** Where each request's address is, looked up by `RequestGeoInterceptor` before the handler runs. */
const requestGeos = new WeakMap<Request, ActorGeo | null>();

/** Records where the request's address is (null: private, loopback or unknown). */
export function recordRequestGeo(req: Request, geo: ActorGeo | null): void {
  requestGeos.set(req, geo);
}

/**
 * `metadata` with the request's geo as `actor.geo`. A request that was not looked up (a safe
 * method) keeps no `geo` key at all.
 */
export function withRequestGeo(req: Request, metadata: CommandMetadata): CommandMetadata {
  if (!requestGeos.has(req)) return metadata;
  return { ...metadata, actor: { ...metadata.actor, geo: requestGeos.get(req) ?? null } };
}

/**
 * The command metadata of a signed-in request: libs/platform's `commandMetadata` (actor, IP, user
 * agent, device) with where the address is.
 */
export function requestMetadata(req: Request, principal: Principal): CommandMetadata {
  return withRequestGeo(req, commandMetadata(req, principal));
}

/**
 * The command metadata of a public request (login, refresh): the actor is `anonymous` until the
 * service knows who it is; the service then names the user (and session) itself.
 */
export function anonymousMetadata(req: Request): CommandMetadata {
  const metadata = requestMetadata(req, ANONYMOUS);
  return { ...metadata, actor: { ...metadata.actor, sessionId: null } };
}

/** The same metadata with `userId` (and `sessionId`) as the actor. */
export function withActor(metadata: CommandMetadata, userId: string, sessionId: string | null): CommandMetadata {
  return { ...metadata, actor: { ...metadata.actor, userId, sessionId } };
}

/** Metadata of work the service does on its own (bootstrap): the named system principal. */
export function systemMetadata(reason: string): CommandMetadata {
  return {
    actor: systemActor('authorization'),
    correlationId: `${reason}-${crypto.randomUUID()}`,
    causationId: null,
    now: new Date(),
  };
}
