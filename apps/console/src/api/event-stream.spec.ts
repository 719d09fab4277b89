import { SseParser, openEventStream, reconnectDelay, type StreamStatusChange } from './event-stream';

describe('SseParser', () => {
  it('dispatches events with their type, id and multi-line data on the blank line', () => {
    const parser = new SseParser();
    expect(
      parser.feed(
        'retry: 2000\n\nid: 7.1\nevent: AlertRaised\ndata: {"a":1}\n\nid: 7.2\ndata: line one\ndata: line two\n\n',
      ),
    ).toEqual([
      { id: '7.1', event: 'AlertRaised', data: '{"a":1}' },
      { id: '7.2', event: 'message', data: 'line one\nline two' },
    ]);
    expect(parser.retryMs).toBe(2000);
    expect(parser.lastEventId).toBe('7.2');
  });

  it('reassembles events split anywhere across chunks, with LF, CRLF or CR line ends (a CRLF split too)', () => {
    const stream = 'id: 1.1\r\nevent: A\r\ndata: x\r\n\r\nid: 1.2\rdata: y\r\rdata: z\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...parser.feed(stream.slice(i, i + size)));
      expect(out).toEqual([
        { id: '1.1', event: 'A', data: 'x' },
        { id: '1.2', event: 'message', data: 'y' },
        { id: '1.2', event: 'message', data: 'z' },
      ]);
    }
  });

  it('ignores comments (heartbeats), unknown fields, events without data, a bad retry and ids with NUL', () => {
    const parser = new SseParser();
    expect(
      parser.feed('\uFEFF: keep-alive\n\nfoo: bar\nevent: Lonely\n\nretry: soon\nid: a\0b\ndata\n\n'),
    ).toEqual([{ id: null, event: 'message', data: '' }]);
    expect(parser.retryMs).toBeNull();
    expect(parser.feed('data:no space\n\n')).toEqual([{ id: null, event: 'message', data: 'no space' }]);
  });

  it('keeps an incomplete event until its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('id: 9.9\ndata: half')).toEqual([]);
    expect(parser.feed('\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ id: '9.9', event: 'message', data: 'half' }]);
  });
});

describe('reconnectDelay', () => {
  it('doubles from the base per failure and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => reconnectDelay(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(reconnectDelay(0, 500, 10_000)).toBe(500);
    expect(reconnectDelay(1000, 500, 10_000)).toBe(10_000);
  });
});

type Call = { url: string; headers: Record<string, string> };

const encoder = new TextEncoder();
/** A response whose body is the given chunks, then the end of the stream. */
const streamOf = (chunks: string[], status = 200, type = 'text/event-stream') =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
    { status, headers: { 'content-type': type } },
  );

/** A fetch answering from a script; once the script is used up, it hangs until the stream is closed. */
function scriptedFetch(answers: Array<() => Response | Promise<Response>>) {
  const calls: Call[] = [];
  let hung: (() => void) | null = null;
  const fetchFn = (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const next = answers.shift();
    if (next) return Promise.resolve(next());
    return new Promise((_, reject) => {
      hung = () => reject(new DOMException('aborted', 'AbortError'));
      init?.signal?.addEventListener('abort', () => hung?.());
    });
  };
  return { calls, fetchFn };
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('openEventStream', () => {
  it('sends the bearer token, delivers the events, and resumes with Last-Event-ID after the stream ends', async () => {
    const { calls, fetchFn } = scriptedFetch([
      () => streamOf(['retry: 1500\n\n', 'id: 5.1\nevent: AlertRaised\nda', 'ta: {"n":1}\n\n']),
      () => streamOf(['id: 5.2\nevent: AlertUpdated\ndata: {"n":2}\n\n']),
    ]);
    const messages: string[] = [];
    const statuses: StreamStatusChange[] = [];
    const waits: number[] = [];
    const handle = openEventStream({
      url: '/api/anomaly-alerting/v1/alerts/stream',
      fetch: fetchFn,
      token: () => 'token-1',
      refresh: async () => false,
      onMessage: (m) => messages.push(`${m.id} ${m.event} ${m.data}`),
      onStatus: (s) => statuses.push(s),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await until(() => calls.length === 3, 'the third connection');
    expect(messages).toEqual(['5.1 AlertRaised {"n":1}', '5.2 AlertUpdated {"n":2}']);
    expect(calls[0].headers).toEqual({
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      authorization: 'Bearer token-1',
    });
    expect(calls[1].headers['last-event-id']).toBe('5.1');
    expect(calls[2].headers['last-event-id']).toBe('5.2');
    // The server's retry (1.5 s) is the base of the back-off; a successful connection resets it.
    expect(waits).toEqual([1500, 1500]);
    expect(statuses.filter((s) => s.status === 'live').map((s) => s.fresh)).toEqual([true, false]);
    expect(handle.lastEventId).toBe('5.2');
    handle.close();
    await until(() => statuses.at(-1)?.status === 'closed', 'closed');
  });

  it('starts from a given id and backs off, doubling, while the service fails', async () => {
    const { calls, fetchFn } = scriptedFetch([
      () => new Response('{"code":"SERVICE_UNAVAILABLE"}', { status: 503 }),
      () => Promise.reject(new TypeError('Failed to fetch')),
      () => streamOf(['{}'], 200, 'application/json'),
      () => streamOf([]),
    ]);
    const statuses: StreamStatusChange[] = [];
    const waits: number[] = [];
    const handle = openEventStream({
      url: '/s',
      fetch: fetchFn,
      token: () => null,
      refresh: async () => false,
      lastEventId: '3.3',
      onMessage: () => undefined,
      onStatus: (s) => statuses.push(s),
      initialRetryMs: 100,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await until(() => calls.length === 5, 'the fifth connection');
    handle.close();
    expect(calls.every((c) => c.headers['last-event-id'] === '3.3' && !('authorization' in c.headers))).toBe(
      true,
    );
    expect(waits).toEqual([100, 200, 400, 100]);
    expect(statuses.filter((s) => s.status === 'reconnecting').map((s) => s.detail)).toEqual([
      'HTTP 503',
      'Failed to fetch',
      'not an event stream (application/json)',
      'the stream ended',
    ]);
  });

  it('refreshes the token once on a 401 and connects again with the new one', async () => {
    let token = 'old';
    const { calls, fetchFn } = scriptedFetch([
      () => new Response(null, { status: 401 }),
      () => streamOf(['id: 1.1\ndata: {}\n\n']),
    ]);
    const handle = openEventStream({
      url: '/s',
      fetch: fetchFn,
      token: () => token,
      refresh: async () => {
        token = 'new';
        return true;
      },
      onMessage: () => undefined,
      sleep: async () => undefined,
    });
    await until(() => calls.length === 3, 'the reconnection');
    handle.close();
    expect(calls.map((c) => c.headers.authorization)).toEqual(['Bearer old', 'Bearer new', 'Bearer new']);
  });

  it('ends the session when the refresh is refused, and stops on a 403 without retrying', async () => {
    const ended: string[] = [];
    const statuses: StreamStatusChange[] = [];
    const first = scriptedFetch([() => new Response(null, { status: 401 })]);
    openEventStream({
      url: '/s',
      fetch: first.fetchFn,
      token: () => 'expired',
      refresh: async () => false,
      onMessage: () => undefined,
      onStatus: (s) => statuses.push(s),
      onSessionEnded: (reason) => ended.push(reason),
    });
    await until(() => ended.length === 1, 'the end of the session');
    expect(statuses.at(-1)).toEqual({ status: 'refused', detail: 'your session ended; sign in again' });

    const second = scriptedFetch([() => new Response('{"code":"FORBIDDEN"}', { status: 403 })]);
    const refused: StreamStatusChange[] = [];
    openEventStream({
      url: '/s',
      fetch: second.fetchFn,
      token: () => 'staff',
      refresh: async () => true,
      onMessage: () => undefined,
      onStatus: (s) => refused.push(s),
    });
    await until(() => refused.at(-1)?.status === 'refused', 'the refusal');
    await new Promise((r) => setTimeout(r, 30));
    expect(second.calls).toHaveLength(1);
    expect(refused.at(-1)?.detail).toBe('your role may not watch the alert stream');
  });

  it('stops at once when closed while waiting for the service', async () => {
    const { calls, fetchFn } = scriptedFetch([]);
    const statuses: string[] = [];
    const handle = openEventStream({
      url: '/s',
      fetch: fetchFn,
      token: () => 't',
      refresh: async () => true,
      onMessage: () => undefined,
      onStatus: (s) => statuses.push(s.status),
    });
    await until(() => calls.length === 1, 'the connection');
    handle.close();
    await until(() => statuses.at(-1) === 'closed', 'closed');
    expect(statuses).toEqual(['connecting', 'closed']);
    expect(calls).toHaveLength(1);
  });
});
