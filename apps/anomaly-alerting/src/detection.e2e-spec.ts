import { randomUUID, createHash } from 'node:crypto';
import { AlertingHarness, TOPICS, type Alert } from './test/alerting-harness';
import { expectEventually, testEnv } from '@warden/testing';
import Redis from 'ioredis';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Each rule end to end: events produced to the real Kafka topics with valid envelopes, consumed by
 * the running service, state in the real Redis, alerts read through the API.
 */
describe('anomaly-alerting: rules on the running service', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  const failed = (userId: string | null, ip: string, name = userId ?? randomUUID()) =>
    h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId, usernameHash: sha(name), reason: 'bad_credentials' }, { actor: { ip } });

  describe('brute-force', () => {
    it('raises one alert at the tenth failure and updates it with the repeats', async () => {
      const user = randomUUID();
      await h.events.send(TOPICS.auth, Array.from({ length: 9 }, () => failed(user, '81.2.69.142')));
      const tenth = failed(user, '81.2.69.142');
      await h.events.send(TOPICS.auth, [tenth]);
      const [alert] = await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1);
      expect(alert).toMatchObject({ severity: 'medium', status: 'open', count: 1 });
      expect(alert.evidence).toContain(tenth.eventId);
      // Committed: the failures' memos are kept a minute (ANOMALY_ALERTING_COMMITTED_MEMO_TTL_SECONDS), not an hour.
      const redis = new Redis(testEnv().redisUrl);
      try {
        await expectEventually(async () => {
          const ttl = await redis.ttl(`${h.redisPrefix}{u:${user}}:memo:fail:${tenth.eventId}`);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(60);
        });
      } finally {
        redis.disconnect();
      }

      await h.events.send(TOPICS.auth, [failed(user, '81.2.69.142'), failed(user, '81.2.69.142')]);
      const [updated] = await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1 && a[0].count === 3);
      expect(updated.id).toBe(alert.id);

      const detail = await h.json<Alert & { evidenceEvents: Array<{ eventId: string; type: string }> }>(`/v1/alerts/${alert.id}`);
      expect(detail.evidenceEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['LoginFailed']));
      expect(detail.evidenceEvents.map((e) => e.eventId)).toContain(tenth.eventId);
    });

    it('escalates to critical when a success follows the failures', async () => {
      const user = randomUUID();
      await h.events.send(TOPICS.auth, Array.from({ length: 10 }, () => failed(user, '81.2.69.142')));
      await h.events.emit(TOPICS.auth, `session-${randomUUID()}`, 'LoginSucceeded', { userId: user, sessionId: randomUUID(), mfa: false, geo: null }, { actor: { userId: user, ip: '81.2.69.142' } });
      await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1 && a[0].severity === 'critical' && a[0].count === 2);
    });

    it('honours a threshold changed through the API, and refuses bad changes', async () => {
      expect((await h.call('/v1/rules/brute-force', { method: 'PUT', as: 'auditor', body: { thresholds: { failures: 3 } } })).status).toBe(403);
      const unknown = await h.call('/v1/rules/brute-force', { method: 'PUT', body: { thresholds: { rows: 3 } } });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({ code: 'RULE_UNKNOWN_THRESHOLD', message: expect.stringContaining('rows') });
      expect((await h.call('/v1/rules/no-such-rule', { method: 'PUT', body: { enabled: false } })).status).toBe(400);
      expect((await h.call('/v1/rules/brute-force', { method: 'PUT', body: { windowSeconds: 'long' } })).status).toBe(400);

      const changed = await h.json<{ thresholds: Record<string, number> }>('/v1/rules/brute-force', { method: 'PUT', body: { thresholds: { failures: 3 } } });
      expect(changed.thresholds).toEqual({ failures: 3 });
      const user = randomUUID();
      await h.events.send(TOPICS.auth, Array.from({ length: 3 }, () => failed(user, '81.2.69.142')));
      await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1);
      const rules = await h.json<Array<{ id: string; thresholds: Record<string, number> }>>('/v1/rules', { as: 'auditor' });
      expect(rules.find((r) => r.id === 'brute-force')?.thresholds).toEqual({ failures: 3 });
      await h.json('/v1/rules/brute-force', { method: 'PUT', body: { thresholds: { failures: 10 } } });
    });
  });

  it('password-spray: failures for ten different names from one network, one alert about the network', async () => {
    const ip = `5.62.60.${10 + Math.floor(Math.random() * 200)}`;
    await h.events.send(TOPICS.auth, Array.from({ length: 10 }, () => failed(null, ip)));
    const [alert] = await h.eventuallyAlerts('rule=password-spray', (a) => a.some((x) => x.summary.includes('5.62.60.0/24')));
    expect(alert.userId).toBeNull();
  });

  it('access-denied-burst: 20 denials by one user', async () => {
    const user = randomUUID();
    const denied = () => h.events.build(`access-${user}`, 'AccessDenied', { userId: user, action: 'read', subject: 'Customer', resourceId: randomUUID(), reason: 'outside_view' });
    await h.events.send(TOPICS.access, Array.from({ length: 19 }, denied));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.alertsOf(`rule=access-denied-burst&userId=${user}`)).toEqual([]);
    await h.events.send(TOPICS.access, [denied()]);
    await h.eventuallyAlerts(`rule=access-denied-burst&userId=${user}`, (a) => a.length === 1);
  });

  describe('exports', () => {
    const completed = (user: string, rowCount: number, clearFields: string[] = []) => {
      const exportId = randomUUID();
      return h.events.build(`export-${exportId}`, 'ExportCompleted', {
        exportId,
        requesterId: user,
        rowCount,
        fields: ['name', 'mobile'],
        clearFields,
        bytes: rowCount * 100,
        fingerprintId: 'fp-1',
        sha256: sha(exportId),
      });
    };

    it('bulk-export fires over 5,000 rows in the hour; clear-sensitive-export for clear fields only', async () => {
      const user = randomUUID();
      await h.events.send(TOPICS.exports, [completed(user, 120)]);
      await h.events.send(TOPICS.exports, [completed(user, 6000, ['mobile'])]);
      const alerts = await h.eventuallyAlerts(`userId=${user}`, (a) => a.length === 2);
      expect(alerts.map((a) => a.rule).sort()).toEqual(['bulk-export', 'clear-sensitive-export']);
    });

    it('departing-user-activity fires for an export by a user marked departing', async () => {
      const user = randomUUID();
      await h.events.send(TOPICS.exports, [completed(user, 10)]);
      await h.events.emit(TOPICS.auth, `user-${user}`, 'UserStatusChanged', { userId: user, from: 'active', to: 'departing', reason: 'resigned' });
      await new Promise((r) => setTimeout(r, 1000));
      await h.events.send(TOPICS.exports, [completed(user, 10)]);
      const [alert] = await h.eventuallyAlerts(`userId=${user}`, (a) => a.length === 1);
      expect(alert.rule).toBe('departing-user-activity');
    });

    it('download-ip-mismatch fires for a download from another country, not from the same place', async () => {
      const user = randomUUID();
      const request = async (exportId: string) =>
        h.events.emit(TOPICS.exports, `export-${exportId}`, 'ExportRequested', {
          exportId, requesterId: user, teamId: null, filter: {}, fields: ['name'], clearFields: [], format: 'csv', reason: 'report', estimatedRows: 10, geo: { country: 'GB', city: null, asn: null },
        }, { actor: { userId: user, ip: '81.2.69.142' } });
      const download = async (exportId: string, ip: string, country: string) =>
        h.events.emit(TOPICS.exports, `export-${exportId}`, 'ExportDownloaded', {
          exportId, requesterId: user, ip, userAgent: null, deviceId: null, geo: { country, city: null, asn: null }, bytes: 10,
        }, { actor: { userId: user, ip } });
      const same = randomUUID();
      await request(same);
      await download(same, '81.2.69.150', 'GB');
      const moved = randomUUID();
      await request(moved);
      await download(moved, '133.242.0.1', 'JP');
      const [alert] = await h.eventuallyAlerts(`userId=${user}`, (a) => a.length === 1);
      expect(alert).toMatchObject({ rule: 'download-ip-mismatch', severity: 'high' });
    });
  });

  it('mass-viewing: a thousand customers listed in ten minutes', async () => {
    const user = randomUUID();
    const listed = (n: number) =>
      h.events.build(`access-${user}`, 'CustomersListed', { readerId: user, filterKeys: [], resultCount: n, customerIds: [], fieldsInClear: [] });
    await h.events.send(TOPICS.access, [listed(200), listed(200)]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await h.alertsOf(`userId=${user}`)).toEqual([]);
    await h.events.send(TOPICS.access, [listed(600)]);
    await h.eventuallyAlerts(`rule=mass-viewing&userId=${user}`, (a) => a.length === 1);
  });

  it('login rules: after a learning period, a 03:00 login from a new device, country and network; then impossible travel', async () => {
    const user = randomUUID();
    const today = new Date();
    const at = (daysAgo: number, hour: number, minute = 0) =>
      new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - daysAgo, hour, minute));
    const login = (when: Date, ip: string, deviceId: string) =>
      h.events.build(`session-${randomUUID()}`, 'LoginSucceeded', { userId: user, sessionId: randomUUID(), mfa: true, geo: null }, { actor: { userId: user, ip, deviceId }, at: when });
    // The learning logins are on several partitions: all of them handled before the 03:00 one is
    // sent, or a busy consumer could judge it against part of the history (no order across partitions).
    const handledBefore = await h.handledBy(h.apps[0]);
    await h.events.send(TOPICS.auth, Array.from({ length: 20 }, (_, i) => login(at(21 - i, 10), '81.2.69.142', 'laptop')));
    await expectEventually(async () => expect(await h.handledBy(h.apps[0])).toBeGreaterThanOrEqual(handledBefore + 20), { timeoutMs: 90_000 });
    await h.events.send(TOPICS.auth, [login(at(0, 3), '8.8.8.8', 'phone')]);
    const alerts = await h.eventuallyAlerts(`userId=${user}`, (a) => a.length === 4);
    // London yesterday 10:00 → USA today 03:00 is slow enough: no impossible travel yet.
    expect(alerts.map((a) => a.rule).sort()).toEqual(['new-country', 'new-device', 'new-network', 'off-hours-login']);
    // 8.8.8.8 (US) then Tokyo ten minutes later.
    await h.events.send(TOPICS.auth, [login(at(0, 3, 10), '133.242.0.1', 'phone')]);
    await h.eventuallyAlerts(`rule=impossible-travel&userId=${user}`, (a) => a.length === 1);
  });

  describe('alert lifecycle', () => {
    it('acknowledges, resolves, refuses to resolve twice, validates input, and guards roles', async () => {
      const user = randomUUID();
      await h.events.send(TOPICS.auth, Array.from({ length: 10 }, () => failed(user, '81.2.69.142')));
      const [alert] = await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 1);
      expect((await h.call(`/v1/alerts/${alert.id}/acknowledge`, { method: 'POST', as: 'auditor' })).status).toBe(403);
      expect((await h.call('/v1/alerts', { as: 'staff' })).status).toBe(403);
      expect(await h.json(`/v1/alerts/${alert.id}/acknowledge`, { method: 'POST' })).toMatchObject({ status: 'acknowledged' });
      const bad = await h.call(`/v1/alerts/${alert.id}/resolve`, { method: 'POST', body: { resolution: 'fixed' } });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('resolution') });
      expect(await h.json(`/v1/alerts/${alert.id}/resolve`, { method: 'POST', body: { resolution: 'false_positive', comment: 'pen test' } })).toMatchObject({
        status: 'false_positive',
        comment: 'pen test',
      });
      const again = await h.call(`/v1/alerts/${alert.id}/resolve`, { method: 'POST', body: { resolution: 'resolved' } });
      expect(again.status).toBe(409);
      expect((await h.call(`/v1/alerts/${randomUUID()}`)).status).toBe(404);
      expect((await h.call('/v1/alerts/not-an-id')).status).toBe(400);
      // After resolution, a new failure burst raises a new alert instead of updating the closed one.
      await h.events.send(TOPICS.auth, Array.from({ length: 1 }, () => failed(user, '81.2.69.142')));
      const both = await h.eventuallyAlerts(`rule=brute-force&userId=${user}`, (a) => a.length === 2);
      expect(both[0].id).not.toBe(alert.id);
    });

    it('lists with filters and cursor paging', async () => {
      const first = await h.json<{ items: Alert[]; nextCursor: string | null }>('/v1/alerts?limit=2');
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await h.json<{ items: Alert[] }>(`/v1/alerts?limit=2&cursor=${first.nextCursor}`);
      expect(second.items.map((a) => a.id)).not.toContain(first.items[0].id);
      const high = await h.alertsOf('severity=high,critical');
      expect(high.every((a) => ['high', 'critical'].includes(a.severity))).toBe(true);
      expect((await h.call('/v1/alerts?severity=urgent')).status).toBe(400);
      expect((await h.call('/v1/alerts?cursor=abc')).status).toBe(400);
    });
  });
});
