import { testEnv, uniqueName } from '@warden/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DAY_MS, settingsWith, T0 } from '../test/detection-fixtures';
import { Detector } from './detector';
import { DEFAULT_RULE_SETTINGS } from './rule-settings';
import type { LoginFailedSignal, LoginSucceededSignal, Signal } from './signal.types';
import { DetectionStateStore } from './state/detection-state.store';

/** The detector over a real Redis: two "instances" (clients) share one state; redeliveries count once. */
describe('Detector with Redis state', () => {
  let a: Redis;
  let b: Redis;
  let detectorA: Detector;
  let detectorB: Detector;
  const prefix = `${uniqueName('aa-test')}:`;

  beforeAll(() => {
    a = new Redis(testEnv().redisUrl);
    b = new Redis(testEnv().redisUrl);
    detectorA = new Detector(new DetectionStateStore(a, { prefix, memoTtlSeconds: 600, committedMemoTtlSeconds: 60 }));
    detectorB = new Detector(new DetectionStateStore(b, { prefix, memoTtlSeconds: 600, committedMemoTtlSeconds: 60 }));
  });
  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  });

  const failure = (userId: string, i: number, network = '198.51.100.0/24'): LoginFailedSignal => ({
    kind: 'login-failed',
    eventId: randomUUID(),
    at: T0 + i * 1000,
    userId,
    userKey: userId,
    network,
  });

  it('counts failures from two instances together and fires brute-force at the tenth', async () => {
    const user = randomUUID();
    const fired: number[] = [];
    for (let i = 1; i <= 10; i += 1) {
      const detector = i % 2 ? detectorA : detectorB;
      const findings = await detector.detect(failure(user, i), DEFAULT_RULE_SETTINGS);
      if (findings.some((f) => f.rule === 'brute-force')) fired.push(i);
    }
    expect(fired).toEqual([10]);
  });

  it('fires when the tenth failure processed is not the latest (events out of order across partitions)', async () => {
    const user = randomUUID();
    const fired: number[] = [];
    for (let i = 10; i >= 1; i -= 1) {
      const findings = await detectorA.detect(failure(user, i), DEFAULT_RULE_SETTINGS);
      if (findings.some((f) => f.rule === 'brute-force')) fired.push(i);
    }
    expect(fired).toEqual([1]);
  });

  it('counts a redelivered event once and answers it the same way', async () => {
    const user = randomUUID();
    const settings = settingsWith('brute-force', { thresholds: { failures: 3 } });
    const first = failure(user, 1);
    await detectorA.detect(first, settings);
    await detectorB.detect(first, settings); // redelivered to the other instance
    const again = await detectorA.detect(first, settings);
    expect(again).toEqual([]);
    const second = await detectorA.detect(failure(user, 2), settings);
    expect(second.filter((f) => f.rule === 'brute-force')).toEqual([]);
    const third = await detectorB.detect(failure(user, 3), settings);
    expect(third.filter((f) => f.rule === 'brute-force')).toHaveLength(1);
    // The tenth delivery of the third failure gives the same finding, and counts nothing more.
    expect(await detectorA.detect({ ...failure(user, 3), eventId: third[0].evidence[0] }, settings)).toEqual(third);
  });

  it('fires new-device only after the learning period, once per device', async () => {
    const user = randomUUID();
    const login = (i: number, deviceId: string, at: number): LoginSucceededSignal => ({
      kind: 'login-succeeded',
      eventId: randomUUID(),
      at,
      userId: user,
      ip: '81.2.69.142',
      network: '81.2.69.0/24',
      deviceId,
      country: 'GB',
      location: null,
    });
    // Eleven logins over 10 days from one laptop; a new phone on day 2 is still "learning".
    for (let i = 0; i < 11; i += 1) {
      const findings = await detectorA.detect(login(i, i === 2 ? 'phone' : 'laptop', T0 + i * DAY_MS), DEFAULT_RULE_SETTINGS);
      expect(findings.filter((f) => f.rule === 'new-device')).toEqual([]);
    }
    const tablet = await detectorB.detect(login(12, 'tablet', T0 + 12 * DAY_MS), DEFAULT_RULE_SETTINGS);
    expect(tablet.map((f) => f.rule)).toContain('new-device');
    const tabletAgain = await detectorA.detect(login(13, 'tablet', T0 + 13 * DAY_MS), DEFAULT_RULE_SETTINGS);
    expect(tabletAgain.map((f) => f.rule)).not.toContain('new-device');
    const phone = await detectorA.detect(login(14, 'phone', T0 + 14 * DAY_MS), DEFAULT_RULE_SETTINGS);
    expect(phone.map((f) => f.rule)).not.toContain('new-device');
  });

  it('counts distinct users per network for password spray', async () => {
    const network = `203.0.${Math.floor(Math.random() * 250)}.0/24`;
    let fired = 0;
    for (let i = 0; i < 12; i += 1) {
      // The same user twice does not count twice.
      const user = i === 5 ? 'name:repeat' : i === 6 ? 'name:repeat' : `name:${randomUUID()}`;
      const findings = await detectorA.detect(
        { ...failure(user, i, network), userId: null, userKey: user },
        DEFAULT_RULE_SETTINGS,
      );
      if (findings.some((f) => f.rule === 'password-spray')) fired = fired || i + 1;
    }
    expect(fired).toBe(11); // the 11th failure is the 10th distinct user
  });

  it('sums exported rows over the window against the previous 14 days', async () => {
    const user = randomUUID();
    const exported = (rows: number, at: number) =>
      detectorA.detect(
        { kind: 'export-completed', eventId: randomUUID(), at, userId: user, exportId: randomUUID(), rowCount: rows, clearFields: [] },
        DEFAULT_RULE_SETTINGS,
      );
    expect(await exported(300, T0 - 5 * DAY_MS)).toEqual([]);
    expect(await exported(300, T0)).toEqual([]);
    const over = await exported(301, T0 + 60_000);
    expect(over.map((f) => f.rule)).toEqual(['bulk-export']);
    expect(over[0].evidence).toHaveLength(2);
  });

  it('learns the usual viewing peak per day and fires mass-viewing far above it', async () => {
    const user = randomUUID();
    const view = (customers: number, at: number) =>
      detectorA.detect(
        { kind: 'customers-accessed', eventId: randomUUID(), at, userId: user, customers, reveals: 0 },
        DEFAULT_RULE_SETTINGS,
      );
    for (let day = 5; day >= 1; day -= 1) expect(await view(40, T0 - day * DAY_MS)).toEqual([]);
    expect(await view(100, T0)).toEqual([]);
    const burst = await view(60, T0 + 60_000); // 160 in the window: over 3 × 40 and over 150
    expect(burst.map((f) => f.rule)).toEqual(['mass-viewing']);
  });

  describe('the viewing baseline kept per day', () => {
    const store = () => new DetectionStateStore(a, { prefix, memoTtlSeconds: 600, committedMemoTtlSeconds: 60 });
    const accessed = (user: string, customers: number, at: number) =>
      store().customersAccessed({ kind: 'customers-accessed', eventId: randomUUID(), at, userId: user, customers, reveals: 0 }, DEFAULT_RULE_SETTINGS);

    it('takes in an earlier day whose peak a late event raised after the baseline was kept', async () => {
      const user = randomUUID();
      await accessed(user, 40, T0 - 2 * DAY_MS);
      await accessed(user, 50, T0 - DAY_MS);
      expect(await accessed(user, 1, T0)).toMatchObject({ baselinePeak: 50, baselineDays: 2 });
      // An event of yesterday processed late (another partition): yesterday's peak is now 350.
      await accessed(user, 300, T0 - DAY_MS + 1000);
      expect(await accessed(user, 1, T0 + 1000)).toMatchObject({ baselinePeak: 350, baselineDays: 2 });
    });

    it('leaves out a day marked anomalous after the baseline was kept', async () => {
      const user = randomUUID();
      await accessed(user, 40, T0 - 2 * DAY_MS);
      await accessed(user, 50, T0 - DAY_MS);
      expect(await accessed(user, 1, T0)).toMatchObject({ baselinePeak: 50, baselineDays: 2 });
      await store().markAnomalousDay(user, T0 - DAY_MS, DEFAULT_RULE_SETTINGS);
      expect(await accessed(user, 1, T0 + 1000)).toMatchObject({ baselinePeak: 40, baselineDays: 1 });
    });

    it('answers the same from the kept baseline as from the days themselves', async () => {
      const user = randomUUID();
      for (let day = 14; day >= 1; day -= 1) await accessed(user, 10 * day, T0 - day * DAY_MS);
      const first = await accessed(user, 1, T0);
      expect(first).toMatchObject({ baselinePeak: 140, baselineDays: 14 });
      const kept = await accessed(user, 1, T0 + 1000);
      expect(kept).toMatchObject({ baselinePeak: first.baselinePeak, baselineDays: first.baselineDays });
      // The kept value is there: removing a day's peak behind its back does not change the answer today.
      await a.hdel(`${prefix}{u:${user}}:viewpeaks`, String(Math.floor((T0 - 14 * DAY_MS) / DAY_MS)));
      expect(await accessed(user, 1, T0 + 2000)).toMatchObject({ baselinePeak: 140, baselineDays: 14 });
    });
  });
  describe('memos', () => {
    const memoPrefix = `${uniqueName('aa-memo')}:`;
    afterAll(async () => {
      const keys = await a.keys(`${memoPrefix}*`);
      if (keys.length) await a.del(...keys);
    });

    it('names every memo its scripts write, and a release keeps them only the committed TTL, still answering a redelivery', async () => {
      const store = new DetectionStateStore(a, { prefix: memoPrefix, memoTtlSeconds: 600, committedMemoTtlSeconds: 30 });
      const detector = new Detector(store);
      const user = randomUUID();
      const exportId = randomUUID();
      const base = () => ({ eventId: randomUUID(), at: T0 });
      const signals: Signal[] = [
        { ...base(), kind: 'login-succeeded', userId: user, ip: '198.51.100.7', network: '198.51.100.0/24', deviceId: 'laptop', country: 'DE', location: null },
        { ...base(), kind: 'login-failed', userId: user, userKey: user, network: '198.51.100.0/24' },
        { ...base(), kind: 'login-failed', userId: null, userKey: 'name:abc', network: null },
        { ...base(), kind: 'export-requested', userId: user, exportId, network: null, country: null },
        { ...base(), kind: 'export-completed', userId: user, exportId, rowCount: 10, clearFields: [] },
        { ...base(), kind: 'export-downloaded', userId: user, exportId, network: null, country: null },
        { ...base(), kind: 'customers-accessed', userId: user, customers: 3, reveals: 0 },
        { ...base(), kind: 'access-denied', userId: user },
        { ...base(), kind: 'user-status', userId: user, departing: false },
      ];
      for (const signal of signals) await detector.detect(signal, DEFAULT_RULE_SETTINGS);
      const named = signals.flatMap((signal) => store.memoKeys(signal));
      expect(named).toHaveLength(7);
      expect((await a.keys(`${memoPrefix}*memo*`)).sort()).toEqual([...named].sort());
      for (const key of named) expect(await a.ttl(key)).toBeGreaterThan(500);

      await store.release(named);
      for (const key of named) {
        const ttl = await a.ttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(30);
      }
      // Within the committed TTL, a redelivered failure still counts once.
      const again = await store.loginFailed(signals[1] as LoginFailedSignal, DEFAULT_RULE_SETTINGS);
      expect(again.userFailures.count).toBe(1);
      expect(again.spray?.count).toBe(1);
    });
  });
});
