import { once } from 'node:events';
import { Injectable } from '@nestjs/common';
import { customerFilterKeys, MAX_STREAMED_CUSTOMER_IDS } from '@warden/contracts';
import type { SubjectKeys } from '@warden/crypto';
import type { CommandMetadata } from '@warden/event-store';
import { ForbiddenError, type FieldLevel, type Policy } from '@warden/security';
import type { Response } from 'express';
import { AccessRecorder } from '../access/access-recorder.service';
import {
  CustomerQueryService,
  customerColumnsFor,
  customerResourceOf,
  rowLevelsMemo,
  type CustomerRow,
  type RowLevels,
} from '../customer/customer-query.service';
import {
  CUSTOMER_VIEW_FIELDS,
  customerFieldLevels,
  isSensitiveField,
  type CustomerPolicyResource,
  type CustomerViewField,
} from '../customer/customer-view.util';
import { streamLines, streamViewBuilder, type StreamView, type StreamViewBuilder } from './customer-stream-line.util';
import type { CustomerStreamBody } from './customer-stream.dto';

/**
 * Rows read per page (keyset on id): memory stays bounded by two pages whatever the total. Pages
 * follow each other (each starts after the last id of the one before), so the stream waits on one
 * query per page: at 500 rows the page queries were about half of a stream's time on a loaded
 * 2-core machine; 2000 rows (about 1 MB read ahead) quarters their number.
 */
export const STREAM_PAGE_SIZE = 2000;

/** Lines are written to the socket in chunks of about this many characters, not one write per row. */
export const STREAM_CHUNK_CHARS = 64 * 1024;

/** Rows turned into JSON lines with one `JSON.stringify` (`streamLines`): about 40 KB of text. */
export const STREAM_LINES_AT_ONCE = 200;

/** Customers named per `CustomerRowsStreamed` event. */
export const STREAMED_IDS_PER_EVENT = MAX_STREAMED_CUSTOMER_IDS;

/** One page of rows, its levels (memoised for the page) and the data keys it needs (loaded at once). */
type StreamPage = { rows: CustomerRow[]; levelsOf: RowLevels; keys: SubjectKeys };

/**
 * The levels of one streamed row: the requested fields at the user's levels, except that a
 * sensitive field not in `clearFields` is masked even where the user could see it in clear;
 * `id` and `version` always; every other field left out (and never decrypted).
 */
export function streamLevels(
  policy: Policy,
  row: CustomerRow,
  fields: ReadonlySet<string>,
  clearFields: ReadonlySet<string>,
): Record<CustomerViewField, FieldLevel> {
  return streamResourceLevels(policy, customerResourceOf(row), fields, clearFields);
}

/** `streamLevels` of a row's policy attributes (what the levels depend on; memoised per page). */
function streamResourceLevels(
  policy: Policy,
  resource: CustomerPolicyResource,
  fields: ReadonlySet<string>,
  clearFields: ReadonlySet<string>,
): Record<CustomerViewField, FieldLevel> {
  const levels = customerFieldLevels(policy, resource);
  for (const field of CUSTOMER_VIEW_FIELDS) {
    if (!fields.has(field)) levels[field] = 'none';
    else if (isSensitiveField(field) && !clearFields.has(field) && levels[field] === 'clear') levels[field] = 'masked';
  }
  levels.id = 'clear';
  levels.version = 'clear';
  return levels;
}

/** The read model's text-array columns (of the stream's columns), read as JSON (`streamColumnsFor`). */
const ARRAY_COLUMNS: ReadonlySet<string> = new Set(['tags', 'shared_with']);

/**
 * `customerColumnsFor`, with the text arrays read as JSON arrays (`to_json`): the same values
 * (lists of strings, NULL as null), parsed by `JSON.parse` instead of the driver's array parser in
 * JavaScript, which was a tenth of the stream's CPU.
 */
export function streamColumnsFor(fields: Iterable<CustomerViewField>, clearFields: ReadonlySet<string>): string {
  return customerColumnsFor(fields, clearFields)
    .split(', ')
    .map((column) => (ARRAY_COLUMNS.has(column) ? `to_json(${column}) AS ${column}` : column))
    .join(', ');
}

/**
 * Streams the customers of a filter, within a user's view, as JSON lines to the exports service.
 */
@Injectable()
export class CustomerStreamService {
  constructor(
    private readonly queries: CustomerQueryService,
    private readonly access: AccessRecorder,
  ) {}

  /** The clear fields the user may not have in clear on any customer: 403 before anything is streamed. */
  assertClearFields(policy: Policy, clearFields: readonly string[]): void {
    const refused = clearFields.filter((field) => policy.fieldLevel('read', 'Customer', field) !== 'clear');
    if (refused.length) {
      throw new ForbiddenError(
        `${policy.userId} may not see ${refused.join(', ')} in clear: clearFields needs the clear level`,
      );
    }
  }

  count(body: CustomerStreamBody, policy: Policy): Promise<number> {
    this.assertClearFields(policy, body.clearFields);
    return this.queries.count(body.filter, policy);
  }

  /**
   * Writes `{"id":…,"version":…,<field>:…}` lines page by page (keyset on id). Each page's data
   * keys are loaded with one query and unwrapped once, and dropped after the page; the next page
   * (rows and keys) is read while this one is written, so at most two pages are held. Lines go
   * out in chunks of ~64 KB, waiting for 'drain' whenever the socket's buffer is full, and the
   * loop stops at once when the client goes away. Names the customers written in
   * `CustomerRowsStreamed` events, one per `STREAMED_IDS_PER_EVENT` rows, recorded as the stream
   * goes (not awaited there: the batched appender writes them while rows keep flowing), and records
   * `CustomersStreamed` with the rows written, at the end or at the abort. The response ends only
   * after all of them committed (if one cannot be recorded the response is destroyed, so the client
   * never takes an unrecorded stream as complete).
   */
  async stream(body: CustomerStreamBody, policy: Policy, res: Response, metadata: CommandMetadata): Promise<void> {
    this.assertClearFields(policy, body.clearFields);
    const fields = new Set<string>(body.fields);
    const clearFields = new Set<string>(body.clearFields);
    // Only the columns of the requested fields: the rest is neither sent nor parsed.
    const columns = streamColumnsFor(body.fields, clearFields);
    const load = async (afterId: string | null): Promise<StreamPage> => {
      const rows = await this.queries.page(body.filter, policy, afterId, STREAM_PAGE_SIZE, columns);
      const levelsOf = rowLevelsMemo((resource) => streamResourceLevels(policy, resource, fields, clearFields));
      return { rows, levelsOf, keys: await this.queries.keysForPage(rows, levelsOf) };
    };
    // The first page before the headers: a bad filter value is still a plain 400.
    let page: StreamPage | null = await load(null);
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    res.status(200).setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    let written = 0;
    let next: Promise<StreamPage> | null = null;
    const named = this.namer(body, policy, metadata);
    /** Writes a chunk of lines, the rows of `ids`; false when the client went away. */
    const send = async (chunk: string, ids: string[]): Promise<boolean> => {
      if (closed) return false;
      const ok = res.write(chunk);
      written += ids.length;
      named.add(ids);
      if (!ok && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      return !closed;
    };
    try {
      while (page && page.rows.length > 0) {
        const { rows, levelsOf, keys }: StreamPage = page;
        const last = rows[rows.length - 1].id;
        next = rows.length < STREAM_PAGE_SIZE ? null : load(last);
        // A read-ahead that fails after an abort must not be an unhandled rejection.
        next?.catch(() => undefined);
        let chunk = '';
        let inChunk: string[] = [];
        let views: StreamView[] = [];
        let open = true;
        try {
          // One view builder per distinct levels of the page (the memo gives rows with the same policy attributes the same levels).
          const builders = new Map<Readonly<Record<CustomerViewField, FieldLevel>>, StreamViewBuilder>();
          for (let i = 0; i < rows.length; i += 1) {
            const row = rows[i];
            const levels = levelsOf(row);
            let viewOf = builders.get(levels);
            if (!viewOf) {
              viewOf = streamViewBuilder(levels, keys);
              builders.set(levels, viewOf);
            }
            views.push(viewOf(row));
            inChunk.push(row.id);
            if (views.length < STREAM_LINES_AT_ONCE && i < rows.length - 1) continue;
            chunk += streamLines(views);
            views = [];
            if (chunk.length >= STREAM_CHUNK_CHARS) {
              open = await send(chunk, inChunk);
              chunk = '';
              inChunk = [];
              if (!open) break;
            }
          }
          if (open && inChunk.length > 0) open = await send(chunk, inChunk);
        } finally {
          keys.release();
        }
        if (!open || !next) break;
        page = await next;
        next = null;
      }
    } catch (error) {
      releaseLater(next);
      await Promise.all([named.flush(), this.recorded(body, policy, written, metadata)]).catch(() => undefined);
      res.destroy(error as Error);
      return;
    }
    releaseLater(next);
    try {
      await Promise.all([named.flush(), this.recorded(body, policy, written, metadata)]);
    } catch {
      res.destroy();
      return;
    }
    if (!closed) res.end();
  }

  /**
   * Collects the ids of the rows written and records a `CustomerRowsStreamed` event for every
   * `STREAMED_IDS_PER_EVENT` of them without waiting for it; `flush` records the rest and resolves
   * once every one committed (rejects if any failed).
   */
  private namer(body: CustomerStreamBody, policy: Policy, metadata: CommandMetadata): { add: (ids: readonly string[]) => void; flush: () => Promise<void> } {
    const readerId = metadata.actor.userId;
    let ids: string[] = [];
    let offset = 0;
    const pending: Array<Promise<unknown>> = [];
    const record = (customerIds: string[]) => {
      const recorded = this.access.record(
        readerId,
        {
          type: 'CustomerRowsStreamed',
          data: { readerId, onBehalfOf: policy.userId, purposeId: body.purposeId, offset, customerIds, fieldsInClear: body.clearFields },
        },
        metadata,
      );
      // Settled here, so a failure before `flush` is no unhandled rejection; `flush` rethrows it.
      pending.push(recorded.then(() => null, (error: unknown) => ({ error })));
      offset += customerIds.length;
    };
    return {
      add: (written) => {
        ids.push(...written);
        while (ids.length >= STREAMED_IDS_PER_EVENT) record(ids.splice(0, STREAMED_IDS_PER_EVENT));
      },
      flush: async () => {
        if (ids.length > 0) record(ids);
        ids = [];
        const failed = (await Promise.all(pending)).find((outcome) => outcome !== null) as { error: unknown } | undefined;
        if (failed) throw failed.error;
      },
    };
  }

  private recorded(body: CustomerStreamBody, policy: Policy, resultCount: number, metadata: CommandMetadata): Promise<void> {
    const readerId = metadata.actor.userId;
    return this.access.record(
      readerId,
      {
        type: 'CustomersStreamed',
        data: {
          readerId,
          onBehalfOf: policy.userId,
          purposeId: body.purposeId,
          filterKeys: customerFilterKeys(body.filter),
          resultCount,
          fieldsInClear: body.clearFields,
        },
      },
      metadata,
    );
  }
}

/** Drops the keys of a page read ahead but never written (the stream ended or failed first). */
function releaseLater(page: Promise<StreamPage> | null): void {
  page?.then(
    ({ keys }) => keys.release(),
    () => undefined,
  );
}
