import type { CommandMetadata } from '@warden/event-store';
import type { Principal } from '@warden/security';
import type { Request } from 'express';

const header = (req: Request, name: string, max: number): string | null => {
  const value = req.header(name);
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
};

/**
 * The command metadata of an HTTP request: who (actor with session, IP, user agent and device),
 * the correlation id (X-Correlation-Id, else the request id) and the time.
 * The actor is the verified principal of the request.
 */
export function commandMetadata(req: Request, principal: Principal): CommandMetadata {
  const requestId = String((req as Request & { id?: unknown }).id ?? header(req, 'x-request-id', 100) ?? '');
  const correlation = header(req, 'x-correlation-id', 200);
  return {
    actor: {
      userId: principal.userId,
      sessionId: principal.sessionId,
      ip: req.ip ?? null,
      userAgent: header(req, 'user-agent', 1000),
      deviceId: header(req, 'x-device-id', 200),
    },
    correlationId: correlation && /^[\w.:-]+$/.test(correlation) ? correlation : requestId || crypto.randomUUID(),
    causationId: null,
    now: new Date(),
  };
}
