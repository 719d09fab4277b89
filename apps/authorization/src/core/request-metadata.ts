import { systemActor } from '@warden/contracts';
import type { CommandMetadata } from '@warden/event-store';
import { commandMetadata } from '@warden/platform';
import type { Principal } from '@warden/security';
import type { Request } from 'express';

const ANONYMOUS: Principal = { userId: 'anonymous', sessionId: '', username: 'anonymous', roles: [], teamId: null, issuedAt: 0 };

/**
 * The command metadata of a public request (login, refresh): the actor is `anonymous` until the
 * service knows who it is; the service then names the user (and session) itself.
 */
export function anonymousMetadata(req: Request): CommandMetadata {
  const metadata = commandMetadata(req, ANONYMOUS);
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
