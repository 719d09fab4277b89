import { Topics, type EventEnvelope, type ServiceName } from '@warden/contracts';
import type { SearchFilters } from './search.dto';

/** The topics a service's events arrive on: its events topic, plus the read events and alerts it publishes. */
export function topicsOf(service: ServiceName): string[] {
  const topics = [Topics.events(service)];
  if (service === 'customer-records') topics.push(Topics.access);
  if (service === 'anomaly-alerting' || service === 'audit') topics.push(Topics.alerts);
  return topics;
}

/** A parameterised WHERE clause (no value is ever spliced into SQL). */
export function whereOf(filters: SearchFilters, params: unknown[] = []): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filters.actor) clauses.push(`actor_id = ${p(filters.actor)}`);
  if (filters.customer) {
    const c = p(filters.customer);
    clauses.push(`(customer_id = ${c} OR (envelope -> 'data' -> 'customerIds') @> jsonb_build_array(${c}::text))`);
  }
  if (filters.type) clauses.push(`type = ANY(${p(filters.type.split(','))}::text[])`);
  if (filters.service) clauses.push(`topic = ANY(${p(topicsOf(filters.service))}::text[])`);
  if (filters.from) clauses.push(`occurred_at >= ${p(filters.from)}`);
  if (filters.to) clauses.push(`occurred_at < ${p(filters.to)}`);
  if (filters.ip) clauses.push(`actor_ip = ${p(filters.ip)}`);
  if (filters.correlationId) clauses.push(`correlation_id = ${p(filters.correlationId)}`);
  return { sql: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}

export type TrailItem = { position: number; topic: string; indexedAt: string; event: EventEnvelope };

export type TrailRow = { position: string; topic: string; indexed_at: Date; occurred_at: Date; envelope: EventEnvelope };

export const toItem = (row: TrailRow): TrailItem => ({
  position: Number(row.position),
  topic: row.topic,
  indexedAt: row.indexed_at.toISOString(),
  event: row.envelope,
});

export const encodeCursor = (row: TrailRow): string =>
  Buffer.from(JSON.stringify([row.occurred_at.toISOString(), Number(row.position)]), 'utf8').toString('base64url');

export function decodeCursor(cursor: string): { occurredAt: string; position: number } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      Number.isSafeInteger(value[1])
    ) {
      return { occurredAt: value[0], position: value[1] as number };
    }
  } catch {
    return null;
  }
  return null;
}

/** A CSV cell that a spreadsheet would run as a formula is prefixed with a quote. */
export const csvSafe = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

export const CSV_COLUMNS = [
  'position',
  'occurredAt',
  'topic',
  'type',
  'eventId',
  'streamId',
  'streamVersion',
  'actorId',
  'actorIp',
  'correlationId',
  'data',
  'hash',
] as const;

export const csvRecord = (item: TrailItem): string[] =>
  [
    String(item.position),
    item.event.occurredAt,
    item.topic,
    item.event.type,
    item.event.eventId,
    item.event.streamId,
    String(item.event.streamVersion),
    item.event.actor.userId,
    item.event.actor.ip ?? '',
    item.event.correlationId,
    JSON.stringify(item.event.data),
    item.event.hash,
  ].map(csvSafe);
