import { SERVICES } from '@warden/contracts';
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
const when = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with offset (e.g. 2026-11-01T00:00:00Z)' });

/** A time range is `[from, to)`: `from` after `to` is refused, naming `from`. */
const inOrder = (range: { from?: string; to?: string }): boolean =>
  range.from === undefined || range.to === undefined || Date.parse(range.from) <= Date.parse(range.to);
const RANGE_ORDER = { path: ['from'], message: 'must not be after to (the range is [from, to))' };

/** The filters of a search of the trail. Every filter is optional; they combine with AND. */
export const searchFilters = z.strictObject({
  /** The actor's user id (`actor.userId`), e.g. a user UUID or `system:exports`. */
  actor: text(200).optional(),
  /** A customer id: events whose data names it (`customerId`, or `customerIds` of lists/searches). */
  customer: text(200).optional(),
  /** Event type(s), comma-separated (`CustomerViewed,SensitiveFieldRevealed`). */
  type: z
    .string()
    .regex(/^[A-Z][A-Za-z0-9]+(,[A-Z][A-Za-z0-9]+){0,19}$/, 'must be one or more PascalCase event types, comma-separated')
    .optional(),
  /** The service the event came from. */
  service: z.enum(SERVICES).optional(),
  from: when.optional(),
  to: when.optional(),
  ip: text(100).optional(),
  correlationId: text(200).optional(),
});
export type SearchFilters = z.infer<typeof searchFilters>;

export const searchEventsQuery = searchFilters.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** `nextCursor` of the previous page. */
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a nextCursor value').optional(),
}).refine(inOrder, RANGE_ORDER);
export type SearchEventsQuery = z.infer<typeof searchEventsQuery>;

export const exportEventsQuery = searchFilters.extend({ format: z.enum(['csv', 'json']).default('json') }).refine(inOrder, RANGE_ORDER);
export type ExportEventsQuery = z.infer<typeof exportEventsQuery>;

export const userIdParam = text(200);
export const activityQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(90) });
export type ActivityQuery = z.infer<typeof activityQuery>;

export const customerAccessQuery = z.strictObject({
  from: when.optional(),
  to: when.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
}).refine(inOrder, RANGE_ORDER);
export type CustomerAccessQuery = z.infer<typeof customerAccessQuery>;
