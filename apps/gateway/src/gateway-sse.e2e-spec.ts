import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expectEventually,
  freePort,
  launchApp,
  testEnv,
  uniqueName,
  type LaunchedApp,
} from '@warden/testing';

type Origin = {
  server: Server;
  url: string;
  /** The requests the origin received (headers as it saw them). */
  requests: IncomingMessage['headers'][];
  /** Resolves the next write of the stream: the test says when. */
  next: Array<() => void>;
  closed: number;
};

/**
 * An event-stream origin standing in for a service's SSE endpoint (the gateway is under test here,
 * not the service: the browser tests run it against the real anomaly-alerting stream). It sends
 * the first event at once, the second only when the test releases it (so a buffering proxy would
 * hold the first back and the test would time out), or heartbeats every 300 ms on `/v1/heartbeats`.
 */
async function startOrigin(): Promise<Origin> {
  const origin: Origin = { server: createServer(), url: '', requests: [], next: [], closed: 0 };
  origin.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    origin.requests.push(req.headers);
    req.on('close', () => {
      origin.closed += 1;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (req.url?.startsWith('/v1/heartbeats')) {
      const timer = setInterval(() => res.write(': keep-alive\n\n'), 300);
      res.on('close', () => clearInterval(timer));
      setTimeout(() => {
        res.end('id: 9.9\nevent: Done\ndata: {}\n\n');
      }, 3000);
      return;
    }
    res.write('retry: 1000\n\nid: 1.1\nevent: AlertRaised\ndata: {"n":1}\n\n');
    origin.next.push(() => res.write('id: 1.2\nevent: AlertUpdated\ndata: {"n":2}\n\n'));
  });
  const port = await freePort();
  origin.server.listen(port, '127.0.0.1');
  await once(origin.server, 'listening');
  origin.url = `http://127.0.0.1:${port}`;
  return origin;
}

/** Reads a streamed body until `text` has arrived (or the body ends). */
async function readUntil(reader: ReadableStreamDefaultReader<string>, seen: { text: string }, text: string) {
  while (!seen.text.includes(text)) {
    const { done, value } = await reader.read();
    if (done) return;
    seen.text += value;
  }
}

describe('gateway: Server-Sent Events pass through unbuffered', () => {
  const dist = mkdtempSync(join(tmpdir(), 'warden-gw-sse-'));
  let origin: Origin;
  let gateway: LaunchedApp;

  beforeAll(async () => {
    origin = await startOrigin();
    const port = await freePort();
    gateway = await launchApp('gateway', {
      port,
      env: {
        GATEWAY_PORT: String(port),
        REDIS_URL: testEnv().redisUrl,
        CONSOLE_DIST_DIR: dist,
        ANOMALY_ALERTING_URL: origin.url,
        GATEWAY_RATE_LIMIT_KEY_PREFIX: `warden:test:${uniqueName('gw-sse')}`,
        // Shorter than the heartbeat test's stream: only silence may end a stream, not its length.
        GATEWAY_PROXY_TIMEOUT_MS: '1500',
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    origin?.server.closeAllConnections();
    origin?.server.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('delivers each event as it is written, with the bearer token and Last-Event-ID passed to the service', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gateway.url}/api/anomaly-alerting/v1/alerts/stream`, {
      headers: {
        accept: 'text/event-stream',
        authorization: 'Bearer test-token',
        'last-event-id': '7.3',
        cookie: 'ambient=1',
      },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('x-request-id')).toEqual(expect.any(String));
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    const seen = { text: '' };
    // The second event is written only after the first has reached the client through the gateway.
    await readUntil(reader, seen, 'data: {"n":1}\n\n');
    expect(seen.text).not.toContain('"n":2');
    await expectEventually(async () => expect(origin.next).toHaveLength(1), {
      timeoutMs: 5000,
      intervalMs: 50,
    });
    origin.next.shift()?.();
    await readUntil(reader, seen, 'data: {"n":2}\n\n');
    expect(seen.text).toBe(
      'retry: 1000\n\nid: 1.1\nevent: AlertRaised\ndata: {"n":1}\n\nid: 1.2\nevent: AlertUpdated\ndata: {"n":2}\n\n',
    );
    const headers = origin.requests.at(-1) ?? {};
    expect(headers.authorization).toBe('Bearer test-token');
    expect(headers['last-event-id']).toBe('7.3');
    expect(headers.cookie).toBeUndefined();

    // The browser goes away: the gateway closes the service's side of the stream too.
    const closedBefore = origin.closed;
    controller.abort();
    await expectEventually(async () => expect(origin.closed).toBe(closedBefore + 1), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it('keeps a stream open past the proxy timeout while heartbeats flow', async () => {
    const started = Date.now();
    const res = await fetch(`${gateway.url}/api/anomaly-alerting/v1/heartbeats`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    // 3 s of heartbeats every 300 ms through a gateway whose proxy timeout is 1.5 s, then the last event.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(body.match(/: keep-alive/g)?.length ?? 0).toBeGreaterThanOrEqual(5);
    expect(body.endsWith('id: 9.9\nevent: Done\ndata: {}\n\n')).toBe(true);
  });
});
