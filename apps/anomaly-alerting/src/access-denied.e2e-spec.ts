import { Topics } from '@warden/contracts';
import { readTopic } from '@warden/testing';
import { randomUUID } from 'node:crypto';
import { AlertingHarness } from './test/alerting-harness';

/**
 * `AccessDenied` emitted by a real service (this one: every service records its 403s to people
 * through PlatformModule) reaches `warden.access.v1` through the relay and raises
 * `access-denied-burst` in the detector, end to end.
 */
describe('anomaly-alerting: denials recorded by a running service', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('records each 403 to a person as AccessDenied on warden.access.v1, and twenty of them raise access-denied-burst', async () => {
    const userId = randomUUID();
    const staff = await h.issuer.issue({ userId, roles: ['staff'], expiresIn: 600 });
    const refuse = async () => {
      const res = await fetch(`${h.url}/v1/alerts?status=open`, { headers: { authorization: `Bearer ${staff}` } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'FORBIDDEN' });
    };
    for (let i = 0; i < 19; i += 1) await refuse();

    const recorded = await readTopic(h.kafka, `${h.prefix}${Topics.access}`, { count: 19, timeoutMs: 60_000 });
    const mine = recorded.map((m) => JSON.parse(m.value as string)).filter((e) => e.streamId === `access-anomaly-alerting-${userId}`);
    expect(mine).toHaveLength(19);
    expect(mine[0]).toMatchObject({
      type: 'AccessDenied',
      actor: { userId },
      data: { userId, action: 'read', subject: 'Alert', resourceId: null, reason: 'role_required' },
    });
    expect(new Set(mine.map((e) => e.streamVersion)).size).toBe(19);
    // Nothing of the request's query or token is in the record.
    expect(JSON.stringify(mine)).not.toContain(staff.split('.')[2]);
    expect(JSON.stringify(mine)).not.toContain('status=open');
    expect(await h.alertsOf(`rule=access-denied-burst&userId=${userId}`)).toEqual([]);

    await refuse();
    const [alert] = await h.eventuallyAlerts(`rule=access-denied-burst&userId=${userId}`, (a) => a.length === 1);
    expect(alert).toMatchObject({ severity: 'medium', status: 'open', count: 1 });
  });

  it('does not record a 401 (no person) nor answers anything but 403 to a refused person', async () => {
    const before = await readTopic(h.kafka, `${h.prefix}${Topics.access}`, { count: 20, timeoutMs: 30_000 });
    expect((await fetch(`${h.url}/v1/alerts`)).status).toBe(401);
    expect((await fetch(`${h.url}/v1/alerts`, { headers: { authorization: 'Bearer a.b.c' } })).status).toBe(401);
    const officer = randomUUID();
    const auditor = await h.issuer.issue({ userId: officer, roles: ['auditor'], expiresIn: 600 });
    const res = await fetch(`${h.url}/v1/rules/brute-force`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(res.status).toBe(403);
    const after = await readTopic(h.kafka, `${h.prefix}${Topics.access}`, { count: before.length + 1, timeoutMs: 30_000 });
    const added = after.map((m) => JSON.parse(m.value as string)).filter((e) => !before.some((b) => JSON.parse(b.value as string).eventId === e.eventId));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      streamId: `access-anomaly-alerting-${officer}`,
      data: { userId: officer, action: 'update', subject: 'Rule', resourceId: 'brute-force', reason: 'role_required' },
    });
  });
});
