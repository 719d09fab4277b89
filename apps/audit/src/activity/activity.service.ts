import { Inject, Injectable } from '@nestjs/common';
import { quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditConfig } from '../core/config';
import { toItem, type TrailItem, type TrailRow } from '../search/trail-query.util';
import { summarizeActivity, type UserActivitySummary } from './activity-summary.util';

/** Events read for one activity request at most; `truncated` says when there were more. */
const MAX_EVENTS = 20_000;
const TIMELINE = 500;

export type UserActivity = {
  userId: string;
  from: string;
  to: string;
  summary: UserActivitySummary;
  /** Newest first, at most 500 events. */
  timeline: TrailItem[];
  eventCount: number;
  truncated: boolean;
};

/** The customer's rows streamed into an export: for whom (`userId`), by which principal (`by`), when. */
export type CustomerExported = { userId: string; by: string; at: string; exportId: string; fieldsInClear: string[]; eventId: string };

export type CustomerAccess = {
  customerId: string;
  /** Per user: views, reveals, listings and searches, exports (counted for the user they were for), other access. */
  readers: Array<{ userId: string; views: number; reveals: number; listings: number; exports: number; other: number; lastAt: string }>;
  /** Newest first. */
  exported: CustomerExported[];
  items: TrailItem[];
  truncated: boolean;
};

const ACCESS_TYPES = new Set([
  'CustomerViewed',
  'SensitiveFieldRevealed',
  'CustomersListed',
  'CustomersSearched',
  'SubjectAccessProvided',
  'CustomerRowsStreamed',
]);

const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

@Injectable()
export class ActivityService {
  private readonly s: string;

  constructor(
    @Inject(CONFIG) config: AuditConfig,
    private readonly dataSource: DataSource,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
  }

  /** `manager`: read in that transaction (a consumed command's inbox transaction) instead of the pool. */
  async userActivity(userId: string, days: number, now = new Date(), manager?: EntityManager): Promise<UserActivity> {
    const from = new Date(now.getTime() - days * 86_400_000);
    const rows: TrailRow[] = await (manager ?? this.dataSource).query(
      `SELECT position, topic, indexed_at, occurred_at, envelope FROM ${this.s}.trail
       WHERE (actor_id = $1 OR user_id = $1) AND occurred_at >= $2 AND occurred_at <= $3
       ORDER BY occurred_at DESC, position DESC LIMIT $4`,
      [userId, from, now, MAX_EVENTS + 1],
    );
    const items = rows.slice(0, MAX_EVENTS).map(toItem);
    return {
      userId,
      from: from.toISOString(),
      to: now.toISOString(),
      summary: summarizeActivity(userId, items.map((i) => i.event)),
      timeline: items.slice(0, TIMELINE),
      eventCount: items.length,
      truncated: rows.length > MAX_EVENTS,
    };
  }

  /**
   * Who viewed, revealed, listed, searched or exported a customer (subject access requests). An
   * export is the `CustomerRowsStreamed` event naming the customer among the rows that
   * customer-records streamed to the exports service: listed under `exported` and counted for the
   * user the export was for.
   */
  async customerAccess(customerId: string, range: { from?: string; to?: string; limit: number }): Promise<CustomerAccess> {
    const rows: TrailRow[] = await this.dataSource.query(
      `SELECT position, topic, indexed_at, occurred_at, envelope FROM ${this.s}.trail
       WHERE (customer_id = $1 OR (envelope -> 'data' -> 'customerIds') @> jsonb_build_array($1::text))
         AND ($2::timestamptz IS NULL OR occurred_at >= $2) AND ($3::timestamptz IS NULL OR occurred_at < $3)
       ORDER BY occurred_at DESC, position DESC LIMIT $4`,
      [customerId, range.from ?? null, range.to ?? null, range.limit + 1],
    );
    const items = rows.slice(0, range.limit).map(toItem);
    const readers = new Map<string, CustomerAccess['readers'][number]>();
    const exported: CustomerExported[] = [];
    for (const { event } of items) {
      if (!ACCESS_TYPES.has(event.type)) continue;
      // An export's rows are streamed by the exports service for a user: the access is that user's.
      const id = event.type === 'CustomerRowsStreamed' ? text(event.data.onBehalfOf, event.actor.userId) : event.actor.userId;
      const r = readers.get(id) ?? { userId: id, views: 0, reveals: 0, listings: 0, exports: 0, other: 0, lastAt: event.occurredAt };
      if (event.type === 'CustomerRowsStreamed') {
        r.exports += 1;
        exported.push({
          userId: id,
          by: event.actor.userId,
          at: event.occurredAt,
          exportId: text(event.data.purposeId, ''),
          fieldsInClear: Array.isArray(event.data.fieldsInClear) ? event.data.fieldsInClear.filter((f): f is string => typeof f === 'string') : [],
          eventId: event.eventId,
        });
      } else if (event.type === 'CustomerViewed') r.views += 1;
      else if (event.type === 'SensitiveFieldRevealed') r.reveals += 1;
      else if (event.type === 'CustomersListed' || event.type === 'CustomersSearched') r.listings += 1;
      else r.other += 1;
      if (event.occurredAt > r.lastAt) r.lastAt = event.occurredAt;
      readers.set(id, r);
    }
    return {
      customerId,
      readers: [...readers.values()].sort((a, b) => b.views + b.reveals - (a.views + a.reveals) || a.userId.localeCompare(b.userId)),
      exported,
      items,
      truncated: rows.length > range.limit,
    };
  }
}
