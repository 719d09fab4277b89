import { expectEventually } from '@warden/testing';
import { createHash, randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@warden/contracts';
import { AlertingHarness, TOPICS } from './test/alerting-harness';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fixed, labelled workload: which user fails how often, hence which alerts must exist. */
type Labelled = { userId: string; failures: number };

/**
 * Two instances in one consumer group share the partitions while events arrive at a steady rate;
 * one is SIGKILLed mid-way (no shutdown, batches in flight). The survivor takes its partitions over
 * and the outcome must equal the labelled expectation exactly: one brute-force alert per user with
 * ≥ 10 failures, `count` = failures − 9 (each failure from the tenth on repeats the alert once),
 * no alert for the others, none lost, none duplicated.
 */
describe('anomaly-alerting: two instances, one killed under load', () => {
  const h = new AlertingHarness();

  beforeAll(async () => {
    // A short group session so the survivor takes the dead instance's partitions over quickly.
    await h.start(2, { ANOMALY_ALERTING_SESSION_TIMEOUT_MS: '8000', ANOMALY_ALERTING_BATCH_SIZE: '100' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('loses no alert and duplicates none', async () => {
    const sizes = [6, 9, 10, 11, 13, 17];
    const users: Labelled[] = Array.from({ length: 90 }, (_, i) => ({ userId: randomUUID(), failures: sizes[i % sizes.length] }));
    // Every failure of a user carries the same time (the window then holds them all, in any
    // processing order) and no address (no password-spray across the users).
    const at = new Date();
    const events: EventEnvelope[] = users.flatMap(({ userId, failures }) =>
      Array.from({ length: failures }, () =>
        h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId, usernameHash: sha(userId), reason: 'bad_credentials' }, { at }),
      ),
    );
    // Background reads that fire nothing, interleaved.
    const noise = Array.from({ length: 600 }, () => {
      const reader = randomUUID();
      return h.events.build(`access-${reader}`, 'CustomersListed', { readerId: reader, filterKeys: [], resultCount: 1, customerIds: [], fieldsInClear: [] });
    });
    const mixed = [...events, ...noise]
      .map((event) => ({ event, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .map(({ event }) => event);
    const loginIds = new Set(events.map((e) => e.eventId));

    // A steady rate: 25 events every 100 ms (250 events/s) for about 7 s.
    const [victim, survivor] = h.apps;
    let killedAfter = -1;
    const handledAtStart = await h.handledBy(victim);
    for (let i = 0; i < mixed.length; i += 25) {
      const slice = mixed.slice(i, i + 25);
      await h.events.send(TOPICS.auth, slice.filter((e) => loginIds.has(e.eventId)));
      await h.events.send(TOPICS.access, slice.filter((e) => !loginIds.has(e.eventId)));
      if (killedAfter < 0 && i >= mixed.length * 0.4 && (await h.handledBy(victim)) > handledAtStart) {
        await victim.kill();
        killedAfter = i + slice.length;
      }
      await sleep(100);
    }
    expect(killedAfter).toBeGreaterThan(0);
    expect(victim.process.signalCode).toBe('SIGKILL');

    const expected = new Map(users.filter((u) => u.failures >= 10).map((u) => [u.userId, u.failures - 9]));
    const ours = new Set(users.map((u) => u.userId));
    const alerts = await expectEventually(
      async () => {
        const all = (await h.allAlerts('rule=brute-force')).filter((a) => a.userId && ours.has(a.userId));
        const total = all.reduce((sum, a) => sum + a.count, 0);
        const wanted = [...expected.values()].reduce((sum, n) => sum + n, 0);
        if (all.length < expected.size || total < wanted) throw new Error(`${all.length} alerts, ${total} repeats so far`);
        return all;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    // Let anything still in flight land before comparing exactly.
    await sleep(3000);
    const final = (await h.allAlerts('rule=brute-force')).filter((a) => a.userId && ours.has(a.userId));
    expect(final.length).toBe(alerts.length);
    const actual = new Map(final.map((a) => [a.userId as string, a.count]));
    expect(final).toHaveLength(expected.size); // no user has two alerts
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    expect(await h.handledBy(survivor)).toBeGreaterThan(0);
  });
});
