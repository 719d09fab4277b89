import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { DataSource } from 'typeorm';
import type { AlertListQuery } from './alert.dto';
import { AlertError, AlertErrorCode } from './alert.exception';

type Row = {
  seq: string;
  id: string;
  rule: string;
  severity: string;
  score: number;
  user_id: string | null;
  summary: string;
  evidence: string[];
  count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  status: string;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolution: string | null;
  comment: string | null;
  responses: unknown[];
};

export type AlertView = {
  id: string;
  rule: string;
  severity: string;
  score: number;
  userId: string | null;
  summary: string;
  evidence: string[];
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  status: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  comment: string | null;
  responses: unknown[];
};

export type EvidenceView = {
  eventId: string;
  type: string;
  occurredAt: string;
  streamId: string;
  topic: string;
  actor: unknown;
  data: unknown;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const view = (r: Row): AlertView => ({
  id: r.id,
  rule: r.rule,
  severity: r.severity,
  score: Number(r.score),
  userId: r.user_id,
  summary: r.summary,
  evidence: r.evidence,
  count: r.count,
  firstSeenAt: r.first_seen_at.toISOString(),
  lastSeenAt: r.last_seen_at.toISOString(),
  status: r.status,
  acknowledgedBy: r.acknowledged_by,
  acknowledgedAt: iso(r.acknowledged_at),
  resolvedBy: r.resolved_by,
  resolvedAt: iso(r.resolved_at),
  resolution: r.resolution,
  comment: r.comment,
  responses: r.responses,
});

const encodeCursor = (seq: string): string => Buffer.from(`a:${seq}`).toString('base64url');
export const decodeCursor = (cursor: string): string | null => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^a:\d{1,19}$/.test(text) ? text.slice(2) : null;
};

/** Reads of the alerts read model: newest first, filtered in SQL, paged by an opaque cursor. */
@Injectable()
export class AlertQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  async list(query: AlertListQuery): Promise<{ items: AlertView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.status) add('status = ANY(?)', query.status);
    if (query.severity) add('severity = ANY(?)', query.severity);
    if (query.rule) add('rule = ANY(?)', query.rule);
    if (query.userId) add('user_id = ?', query.userId);
    if (query.from) add('last_seen_at >= ?', query.from);
    if (query.to) add('first_seen_at < ?', query.to);
    if (query.cursor) add('seq < ?', query.cursor);
    params.push(query.limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    return { items: page.map(view), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].seq) : null };
  }

  async get(id: string): Promise<AlertView & { evidenceEvents: EvidenceView[] }> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM ${this.s}.alerts WHERE id = $1`, [id]);
    if (!rows.length) throw new AlertError(AlertErrorCode.NotFound, `alert ${id} not found`);
    const alert = view(rows[0]);
    const evidence: Array<{ event_id: string; type: string; occurred_at: Date; stream_id: string; topic: string; actor: unknown; data: unknown }> =
      await this.dataSource.query(
        `SELECT event_id, type, occurred_at, stream_id, topic, actor, data FROM ${this.s}.evidence_events
         WHERE event_id = ANY($1::uuid[]) ORDER BY occurred_at`,
        [alert.evidence],
      );
    return {
      ...alert,
      evidenceEvents: evidence.map((e) => ({
        eventId: e.event_id,
        type: e.type,
        occurredAt: e.occurred_at.toISOString(),
        streamId: e.stream_id,
        topic: e.topic,
        actor: e.actor,
        data: e.data,
      })),
    };
  }
}
