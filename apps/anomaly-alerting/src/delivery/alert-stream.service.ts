import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ContractViolation } from '@warden/contracts';
import { EventStore, type LogCheckpoint } from '@warden/event-store';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';

const STREAMED = new Set(['AlertRaised', 'AlertUpdated', 'AlertAcknowledged', 'AlertResolved', 'AlertResponseTaken']);
const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;
const BATCH = 200;

/** `<transactionId>.<globalPosition>`: an SSE id is a place in the commit-safe log order. */
export const encodeEventId = (c: LogCheckpoint): string => `${c.transactionId}.${c.globalPosition}`;
export function decodeEventId(id: string): LogCheckpoint {
  const match = /^(\d{1,20})\.(\d{1,19})$/.exec(id);
  if (!match) throw new ContractViolation('invalid Last-Event-ID', ['headers.last-event-id: is not an id this stream sent']);
  return { transactionId: match[1], globalPosition: Number(match[2]) };
}

/**
 * Server-Sent Events of the alert streams, read from this service's own event log in commit-safe
 * order (see `EventStore.readLog`), so what a client sees is committed, in order, and complete. A
 * client that reconnects with `Last-Event-ID` gets everything after that id replayed from Postgres
 * before the live events; without it, the stream starts now.
 */
@Injectable()
export class AlertStreamService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AlertStream');
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** Before the HTTP server closes: it would wait for these long-lived responses forever. */
  beforeApplicationShutdown(): void {
    for (const close of this.open) close();
  }

  private async now(): Promise<LogCheckpoint> {
    const rows: Array<{ xmin: string }> = await this.dataSource.query(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`,
    );
    // Everything of a transaction older than xmin is committed and in the past.
    return { transactionId: (BigInt(rows[0].xmin) - 1n).toString(), globalPosition: Number.MAX_SAFE_INTEGER };
  }

  async serve(req: Request, res: Response): Promise<void> {
    const header = req.header('last-event-id') ?? (typeof req.query['lastEventId'] === 'string' ? req.query['lastEventId'] : undefined);
    let cursor = header ? decodeEventId(header) : await this.now();
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write(`retry: 2000\n\n`);
    let closed = false;
    let wake: (() => void) | null = null;
    const close = () => {
      closed = true;
      wake?.();
      if (!res.writableEnded) res.end();
    };
    this.open.add(close);
    req.on('close', close);
    let lastWrite = Date.now();
    void (async () => {
      while (!closed) {
        try {
          const events = await this.store.readLog(cursor, BATCH);
          for (const event of events) {
            cursor = { transactionId: event.transactionId, globalPosition: event.globalPosition };
            if (!STREAMED.has(event.type)) continue;
            const { transactionId: _tx, ...envelope } = event;
            res.write(`id: ${encodeEventId(cursor)}\nevent: ${event.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
            lastWrite = Date.now();
          }
          if (events.length === BATCH) continue;
          if (Date.now() - lastWrite > HEARTBEAT_MS) {
            res.write(`: keep-alive\n\n`);
            lastWrite = Date.now();
          }
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, 'alert stream read failed; retrying');
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.open.delete(close);
    })();
  }
}
