import { Inject, Injectable } from '@nestjs/common';
import { type AuditTrailExportedData } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { stringify } from 'csv-stringify/sync';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AuditError, AuditErrorCode } from '../core/audit.exception';
import type { AuditConfig } from '../core/config';
import type { ExportEventsQuery, SearchEventsQuery, SearchFilters } from './search.dto';
import { maskEvent, type TrailFieldLevels } from './trail-masking.util';
import { CSV_COLUMNS, csvRecord, decodeCursor, encodeCursor, toItem, whereOf, type TrailItem, type TrailRow } from './trail-query.util';

/** A page of the trail; `fieldLevels`: how the reader sees the fields the policy decides (see trail-masking.util). */
export type TrailPage = { items: TrailItem[]; nextCursor: string | null; fieldLevels: TrailFieldLevels };
export type TrailExport = { filename: string; contentType: string; body: string; rowCount: number };

const COLUMNS = 'position, topic, indexed_at, occurred_at, envelope';

/**
 * Search of the trail: events as stored (ciphertext stays ciphertext, masks stay masks), with the
 * employees' network and device data at the reader's level (`maskEvent`). A reader who does not
 * see IP addresses in clear cannot search by one either (403): the filter would reveal them.
 */
@Injectable()
export class SearchService {
  private readonly s: string;

  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
  }

  async search(query: SearchEventsQuery, levels: TrailFieldLevels): Promise<TrailPage> {
    refuseHiddenFilters(query, levels);
    const { sql, params } = whereOf(query);
    let where = sql;
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new AuditError(AuditErrorCode.InvalidCursor, 'query.cursor: not a cursor this API returned');
      params.push(cursor.occurredAt, cursor.position);
      where += ` AND (occurred_at, position) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`;
    }
    params.push(query.limit + 1);
    const rows: TrailRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${this.s}.trail WHERE ${where} ORDER BY occurred_at DESC, position DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => maskItem(toItem(row), levels)),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]) : null,
      fieldLevels: levels,
    };
  }

  /**
   * A whole search as a file. The export is itself audited: an `AuditTrailExported` event (who,
   * filters, row count) is appended to the audit's own log before the file is handed out.
   */
  async export(query: ExportEventsQuery, levels: TrailFieldLevels, metadata: CommandMetadata): Promise<TrailExport> {
    const { format, ...filters } = query;
    refuseHiddenFilters(filters, levels);
    const { sql, params } = whereOf(filters);
    const max = this.config.AUDIT_EXPORT_MAX_ROWS;
    params.push(max + 1);
    const rows: TrailRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${this.s}.trail WHERE ${sql} ORDER BY occurred_at, position LIMIT $${params.length}`,
      params,
    );
    if (rows.length > max) {
      throw new AuditError(AuditErrorCode.ExportTooLarge, `the search matches more than ${max} events; narrow it (e.g. by time range)`);
    }
    const items = rows.map((row) => maskItem(toItem(row), levels));
    const data: AuditTrailExportedData = {
      exportedBy: metadata.actor.userId,
      format,
      filters: Object.fromEntries(Object.entries(filters as SearchFilters).filter(([, v]) => v !== undefined)) as Record<string, string>,
      rowCount: items.length,
    };
    await this.store.append(`audit-export-${uuidv7()}`, [{ type: 'AuditTrailExported', data }], { expectedVersion: 0, metadata });
    const stamp = metadata.now.toISOString().replace(/[:.]/g, '-');
    if (format === 'csv') {
      return {
        filename: `audit-trail-${stamp}.csv`,
        contentType: 'text/csv; charset=utf-8',
        body: stringify([[...CSV_COLUMNS], ...items.map(csvRecord)]),
        rowCount: items.length,
      };
    }
    return {
      filename: `audit-trail-${stamp}.json`,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ exportedAt: metadata.now.toISOString(), filters: data.filters, count: items.length, fieldLevels: levels, items }),
      rowCount: items.length,
    };
  }
}

const maskItem = (item: TrailItem, levels: TrailFieldLevels): TrailItem => ({ ...item, event: maskEvent(item.event, levels) });

function refuseHiddenFilters(filters: SearchFilters, levels: TrailFieldLevels): void {
  if (filters.ip !== undefined && levels.ip !== 'clear') {
    throw new AuditError(AuditErrorCode.FilterNotAllowed, 'query.ip: your policy does not show IP addresses of the trail in clear, so you cannot search by one');
  }
}
