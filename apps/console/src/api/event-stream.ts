/**
 * Server-Sent Events over `fetch`, so the stream can carry the bearer token: `EventSource` cannot send
 * an `Authorization` header, and putting the token in the URL would leave it in logs and history.
 * The parser follows the WHATWG "event stream interpretation" rules; the client reconnects with
 * `Last-Event-ID` so the service replays what was missed.
 */

/** One dispatched event of the stream. */
export type SseMessage = { id: string | null; event: string; data: string };

/**
 * An incremental event-stream parser: feed it text as it arrives (any chunking, LF, CRLF or CR line
 * ends, a CRLF split across chunks), get back the events completed by that text. Comment lines
 * (`: keep-alive`) and unknown fields are ignored; `retry:` sets `retryMs`; the last event id
 * persists from one event to the next, as in a browser.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastId: string | null = null;
  private pendingCr = false;
  private started = false;
  retryMs: number | null = null;

  get lastEventId(): string | null {
    return this.lastId;
  }

  feed(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR that ended the previous chunk already ended its line: a LF right after it is the same line end.
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF: take the line, remember the CR.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.pendingCr = true;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return null;
  }

  private dispatch(): SseMessage | null {
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return null;
    return { id: this.lastId, event, data: data.join('\n') };
  }
}

export type StreamStatus =
  /** Opening the first connection. */
  | 'connecting'
  /** Connected: events arrive as they happen. */
  | 'live'
  /** The connection dropped or failed; trying again after `retryInMs`. */
  | 'reconnecting'
  /** The service refused (403) or the session ended: no further attempts. */
  | 'refused'
  /** Closed by the console. */
  | 'closed';

export type StreamStatusChange = {
  status: StreamStatus;
  /** Why the stream is reconnecting or refused. */
  detail?: string;
  /** Before the next attempt (reconnecting only). */
  retryInMs?: number;
  /** The connection (re)opened without a `Last-Event-ID`: what happened before it must be loaded separately. */
  fresh?: boolean;
};

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type EventStreamOptions = {
  url: string;
  fetch: FetchLike;
  /** The current access token (read at every connection: refreshes are picked up). */
  token: () => string | null;
  /** Get new tokens after a 401; false when that failed (the session is over). */
  refresh: () => Promise<boolean>;
  /** Resume after this id (e.g. kept from an earlier stream). */
  lastEventId?: string | null;
  onMessage: (message: SseMessage) => void;
  onStatus?: (change: StreamStatusChange) => void;
  /** The session ended (a refused refresh): the client signs out. */
  onSessionEnded?: (reason: string) => void;
  /** First reconnect delay when the server set none (`retry:`), doubled per failure up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
  /** Waits (tests pass a fake); resolves early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
};

export type EventStreamHandle = {
  close(): void;
  readonly lastEventId: string | null;
};

/** The wait before attempt `failures` (1, 2, …): base doubled per failure, capped. */
export function reconnectDelay(failures: number, baseMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 16);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Opens the stream and keeps it open until `close()`: a dropped connection or a 5xx is retried
 * with back-off (the server's `retry:` as the base) and resumed with `Last-Event-ID`; a 401 gets
 * one token refresh (then the session is over); a 403 stops with status `refused`.
 */
export function openEventStream(options: EventStreamOptions): EventStreamHandle {
  const controller = new AbortController();
  const sleep = options.sleep ?? defaultSleep;
  const initialRetryMs = options.initialRetryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let lastEventId = options.lastEventId ?? null;
  let serverRetryMs: number | null = null;
  const status = (change: StreamStatusChange) => {
    if (!controller.signal.aborted || change.status === 'closed') options.onStatus?.(change);
  };

  const run = async () => {
    let failures = 0;
    let refreshed = false;
    while (!controller.signal.aborted) {
      let problem: string;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
        const token = options.token();
        if (token) headers.authorization = `Bearer ${token}`;
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const resumed = lastEventId !== null;
        const res = await options.fetch(options.url, {
          headers,
          signal: controller.signal,
          credentials: 'omit',
          cache: 'no-store',
        });
        if (res.status === 401) {
          await res.body?.cancel().catch(() => undefined);
          if (!refreshed && (await options.refresh())) {
            refreshed = true;
            continue;
          }
          status({ status: 'refused', detail: 'your session ended; sign in again' });
          options.onSessionEnded?.('your session expired; sign in again');
          return;
        }
        if (res.status === 403) {
          await res.body?.cancel().catch(() => undefined);
          status({ status: 'refused', detail: 'your role may not watch the alert stream' });
          return;
        }
        const type = res.headers.get('content-type') ?? '';
        if (!res.ok || !res.body || !type.startsWith('text/event-stream')) {
          await res.body?.cancel().catch(() => undefined);
          problem = res.ok ? `not an event stream (${type || 'no content type'})` : `HTTP ${res.status}`;
        } else {
          refreshed = false;
          failures = 0;
          status({ status: 'live', fresh: !resumed });
          const parser = new SseParser();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (const message of parser.feed(value)) {
              if (message.id !== null) lastEventId = message.id;
              options.onMessage(message);
            }
            if (parser.retryMs !== null) serverRetryMs = parser.retryMs;
          }
          problem = 'the stream ended';
        }
      } catch (error) {
        if (controller.signal.aborted) break;
        problem = error instanceof Error ? error.message : 'network error';
      }
      if (controller.signal.aborted) break;
      failures += 1;
      const wait = reconnectDelay(failures, serverRetryMs ?? initialRetryMs, maxRetryMs);
      status({ status: 'reconnecting', detail: problem, retryInMs: wait });
      await sleep(wait, controller.signal);
    }
    status({ status: 'closed' });
  };

  status({ status: 'connecting' });
  void run();
  return {
    close: () => controller.abort(),
    get lastEventId() {
      return lastEventId;
    },
  };
}
