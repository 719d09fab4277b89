import { Topics } from '@warden/contracts';
import { expectEventually, readTopic } from '@warden/testing';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { AlertingHarness, TOPICS } from './test/alerting-harness';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const OCSF = resolve(__dirname, 'test/ocsf');

type Received = { headers: IncomingMessage['headers']; body: string };

/** Reads an event stream until `done(text)` or the deadline (then fails with what arrived). */
async function readUntil(body: ReadableStream<Uint8Array>, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const reader = body.getReader();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) throw new Error(`stream ended before the expected events arrived:\n${text}`);
      text += Buffer.from(value).toString('utf8');
    }
    return text;
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}

/** Live stream (SSE, resumable), signed webhooks with retries, OCSF records on Kafka. */
describe('anomaly-alerting: delivery', () => {
  const h = new AlertingHarness();
  let hook: Server;
  let hookUrl = '';
  const received: Received[] = [];
  let failNext = 1;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        // The first delivery fails: the dispatcher must retry it.
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(503).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    await h.start();
  });
  afterAll(async () => {
    await h.stop();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  const burst = (user: string) =>
    h.events.send(
      TOPICS.auth,
      Array.from({ length: 10 }, () =>
        h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId: user, usernameHash: sha(user), reason: 'bad_credentials' }, { actor: { ip: '81.2.69.142' } }),
      ),
    );

  it('webhooks: signed with HMAC-SHA256 over timestamp.body, retried after a failure, logged; the secret is never shown', async () => {
    const secret = `whsec-${randomUUID()}`;
    expect((await h.call('/v1/webhooks', { method: 'POST', body: { url: 'ftp://x', secret } })).status).toBe(400);
    expect((await h.call('/v1/webhooks', { method: 'POST', body: { url: hookUrl, secret: 'short' } })).status).toBe(400);
    const created = await h.json<{ id: string }>('/v1/webhooks', { method: 'POST', body: { url: hookUrl, secret, minSeverity: 'medium' } });
    expect(JSON.stringify(await h.json('/v1/webhooks', { as: 'auditor' }))).not.toContain(secret);

    const user = randomUUID();
    await burst(user);
    const delivery = await expectEventually(
      () => {
        const ok = received.filter((r) => r.body.includes(user));
        if (ok.length < 2) throw new Error(`${ok.length} deliveries`);
        return ok[1];
      },
      { timeoutMs: 60_000 },
    );
    const timestamp = String(delivery.headers['x-warden-timestamp']);
    const expected = createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex');
    expect(delivery.headers['x-warden-signature']).toBe(`sha256=${expected}`);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'AlertRaised', alert: { rule: 'brute-force', userId: user } });

    const log = await expectEventually(async () => {
      const entries = await h.json<Array<{ status: string; attempts: number; lastStatusCode: number }>>(`/v1/webhooks/${created.id}/deliveries`);
      if (!entries.some((e) => e.status === 'delivered')) throw new Error(JSON.stringify(entries));
      return entries;
    });
    expect(log[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204 });

    expect((await h.call(`/v1/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.call(`/v1/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('SSE: streams alert events live and replays from Last-Event-ID', async () => {
    const controller = new AbortController();
    const res = await fetch(`${h.url}/v1/alerts/stream`, { headers: { authorization: `Bearer ${h.tokens.auditor}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const user = randomUUID();
    await burst(user);
    const text = await readUntil(res.body!, (t) => t.includes(user), 90_000);
    controller.abort();
    const frame = text.split('\n\n').find((f) => f.includes(user) && f.includes('event: AlertRaised'))!;
    const id = /^id: (.+)$/m.exec(frame)![1];

    // Acknowledge while disconnected, then resume after the raise.
    const alertId = (JSON.parse(/^data: (.+)$/m.exec(frame)![1]) as { data: { alertId: string } }).data.alertId;
    await h.json(`/v1/alerts/${alertId}/acknowledge`, { method: 'POST' });
    const resumed = new AbortController();
    const again = await fetch(`${h.url}/v1/alerts/stream`, {
      headers: { authorization: `Bearer ${h.tokens.auditor}`, 'last-event-id': id },
      signal: resumed.signal,
    });
    const replay = await readUntil(
      again.body!,
      (t) => t.includes(`"alertId":"${alertId}"`) && t.includes('event: AlertAcknowledged'),
      60_000,
    );
    resumed.abort();
    expect(replay).not.toContain(`id: ${id}\n`);
    expect((await fetch(`${h.url}/v1/alerts/stream`, { headers: { authorization: `Bearer ${h.tokens.staff}` } })).status).toBe(403);
    expect((await fetch(`${h.url}/v1/alerts/stream`, { headers: { authorization: `Bearer ${h.tokens.auditor}`, 'last-event-id': 'x' } })).status).toBe(400);
  });

  it('OCSF: a Detection Finding per alert event and an Authentication per login, valid against the 1.8.0 schemas', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const finding = ajv.compile(JSON.parse(readFileSync(`${OCSF}/detection_finding-1.8.0.schema.json`, 'utf8')));
    const auth = ajv.compile(JSON.parse(readFileSync(`${OCSF}/authentication-1.8.0.schema.json`, 'utf8')));
    const user = randomUUID();
    await burst(user);
    await h.events.emit(TOPICS.auth, `session-${randomUUID()}`, 'LoginSucceeded', { userId: user, sessionId: randomUUID(), mfa: true, geo: { country: 'GB', city: 'Newmarket' } }, { actor: { userId: user, ip: '81.2.69.142' } });
    const messages = await readTopic(h.kafka, `${h.prefix}${Topics.alertsOcsf}`, {
      until: (m) => m.some((x) => x.value.includes('"class_uid":2004') && x.value.includes(user)) && m.filter((x) => x.value.includes('"class_uid":3002') && x.value.includes(user)).length >= 11,
      timeoutMs: 60_000,
    });
    const records = messages.map((m) => JSON.parse(m.value) as Record<string, unknown>).filter((r) => JSON.stringify(r).includes(user));
    const findings = records.filter((r) => r['class_uid'] === 2004);
    const logins = records.filter((r) => r['class_uid'] === 3002);
    expect(findings.length).toBeGreaterThanOrEqual(1);
    expect(logins.length).toBeGreaterThanOrEqual(11);
    for (const r of findings) {
      expect(finding(r) ? [] : finding.errors).toEqual([]);
      expect(r['type_uid']).toBe((r['class_uid'] as number) * 100 + (r['activity_id'] as number));
    }
    for (const r of logins) {
      expect(auth(r) ? [] : auth.errors).toEqual([]);
      expect(r['type_uid']).toBe((r['class_uid'] as number) * 100 + (r['activity_id'] as number));
    }
    for (const r of records) expect(JSON.stringify(r)).not.toContain('null');
    expect(logins.filter((r) => r['status_id'] === 1)).toHaveLength(1);
  });

  it('alert events go to warden.alerts.v1 as valid envelopes', async () => {
    const messages = await readTopic(h.kafka, `${h.prefix}${Topics.alerts}`, { until: (m) => m.some((x) => x.value.includes('"AlertRaised"')), timeoutMs: 120_000 });
    expect(messages.some((m) => JSON.parse(m.value).type === 'AlertRaised')).toBe(true);
  });

  it('a malformed message is dead-lettered and consumption carries on', async () => {
    await h.producer.send({ topic: `${h.prefix}${TOPICS.auth}`, messages: [{ key: 'x', value: '{"not":"an envelope"}' }] });
    const dlq = await readTopic(h.kafka, `${h.prefix}${Topics.deadLetter(TOPICS.auth)}`, { count: 1, timeoutMs: 120_000 });
    expect(dlq[0].headers['dlq-error-code']).toBe('CONTRACT_VIOLATION');
    const user = randomUUID();
    await burst(user);
    await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1);
  });
});
