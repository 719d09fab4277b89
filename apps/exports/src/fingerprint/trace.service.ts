import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { CONFIG, RequestValidationError } from '@warden/platform';
import { parse } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import type { TraceBody } from '../export/export.dto';
import { unescapeFormula } from '../generation/export-row.util';
import { exportFingerprintKey, traceRows, type TraceCandidate } from './fingerprint.util';

export type TraceResult = {
  match: boolean;
  exportId: string | null;
  requesterId: string | null;
  approverId: string | null;
  confidence: number;
  evidence: { rowsRead: number; decoyRows: number; markedRows: number; matchingMarks: number };
};

/** Rows of a leaked file given as text: JSON lines when every line is an object, else CSV with a header. */
export function rowsOfContent(content: string): Record<string, unknown>[] {
  const lines = content.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length > 0 && lines.every((line) => line.trimStart().startsWith('{'))) {
    try {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      throw new RequestValidationError(['body.content: looks like JSON lines but a line is not valid JSON']);
    }
  }
  try {
    // Cells are read as they were before the export escaped formulas in them.
    return parse(content, {
      columns: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      cast: (value) => unescapeFormula(value),
    }) as Record<string, unknown>[];
  } catch (error) {
    throw new RequestValidationError([`body.content: not CSV with a header row (${(error as { code?: string }).code ?? 'unparseable'})`]);
  }
}

/** `POST /v1/exports/trace`: which export a leaked file (or some of its rows) came from. */
@Injectable()
export class TraceService {
  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  async trace(body: TraceBody): Promise<TraceResult> {
    const rows = body.rows ?? rowsOfContent(body.content ?? '');
    const serverKey = Buffer.from(this.config.EXPORTS_FINGERPRINT_KEY, 'base64');
    const s = quoteSchema(this.store.schema);
    const exports: Array<{ export_id: string; fingerprint_id: string; requester_id: string; approver_id: string | null }> =
      await this.dataSource.query(`SELECT export_id, fingerprint_id, requester_id, approver_id FROM ${s}.exports WHERE fingerprint_id IS NOT NULL`);
    const candidates: TraceCandidate[] = exports.map((e) => ({
      exportId: e.export_id,
      fingerprintId: e.fingerprint_id,
      exportKey: exportFingerprintKey(serverKey, e.export_id),
    }));
    const match = traceRows(rows, candidates);
    const found = match ? exports.find((e) => e.export_id === match.exportId) : undefined;
    return {
      match: Boolean(match && found),
      exportId: found?.export_id ?? null,
      requesterId: found?.requester_id ?? null,
      approverId: found?.approver_id ?? null,
      confidence: match?.confidence ?? 0,
      evidence: {
        rowsRead: rows.length,
        decoyRows: match?.decoyRows ?? 0,
        markedRows: match?.markedRows ?? 0,
        matchingMarks: match?.matchingMarks ?? 0,
      },
    };
  }
}
