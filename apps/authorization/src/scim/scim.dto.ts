import type { CommandMetadata } from '@warden/event-store';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { withRequestGeo } from '../core/request-metadata';
import { SCIM_ACTOR, SCIM_MAX_RESULTS } from './scim.constants';
import { ScimError } from './scim.exception';
import type { ScimRequest } from './scim-auth.guard';

export const createScimTokenBody = z.strictObject({ name: z.string().trim().min(1).max(100) });
export type CreateScimTokenBody = z.infer<typeof createScimTokenBody>;

export const scimTokenIdParam = z.uuid({ message: 'must be a SCIM token id (UUID)' });

const integer = (value: unknown, name: string, fallback: number): number => {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value)) throw ScimError.invalidValue(`${name} must be an integer`);
  return Number(value);
};

export type ScimListQuery = { filter: string | null; startIndex: number; count: number };

/** `filter`, `startIndex` (1-based; below 1 means 1) and `count` (0 to 200; negative means 0), RFC 7644 §3.4.2.4. */
export function parseListQuery(query: Record<string, unknown>): ScimListQuery {
  const filter = query['filter'];
  if (filter !== undefined && typeof filter !== 'string') throw ScimError.invalidFilter('filter must be given once');
  return {
    filter: filter === undefined || filter.trim() === '' ? null : filter,
    startIndex: Math.max(1, integer(query['startIndex'], 'startIndex', 1)),
    count: Math.min(SCIM_MAX_RESULTS, Math.max(0, integer(query['count'], 'count', 100))),
  };
}

/** Where SCIM resources of this request live (`…/scim/v2`), for `meta.location`. */
export const scimBaseUrl = (req: ScimRequest): string => `${req.protocol}://${req.get('host') ?? 'localhost'}/scim/v2`;

/** SCIM changes are recorded as the system principal `system:scim`, with the token that made them as device. */
export function scimMetadata(req: ScimRequest): CommandMetadata {
  const userAgent = req.header('user-agent');
  return withRequestGeo(req, {
    actor: {
      userId: SCIM_ACTOR,
      sessionId: null,
      ip: req.ip ?? null,
      userAgent: userAgent ? userAgent.slice(0, 1000) : null,
      deviceId: req.scimCaller ? `scim-token:${req.scimCaller.tokenId}` : null,
    },
    correlationId: randomUUID(),
    causationId: null,
    now: new Date(),
  });
}
