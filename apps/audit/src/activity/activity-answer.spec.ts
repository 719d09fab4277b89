import { randomUUID } from 'node:crypto';
import { userActivityCompiledV1 } from '@warden/contracts';
import { chainOf } from '../test/trail-fixtures';
import { ACTIVITY_ANSWER_CAPS, ACTIVITY_ANSWER_MAX_BYTES, userActivityCompiledData, type CompiledActivity } from './activity-answer.util';
import { summarizeActivity } from './activity-summary.util';

const leaver = randomUUID();
const commandId = randomUUID();

const logins = (n: number, userAgent = 'Mozilla/5.0', devicePrefix = 'device-') =>
  chainOf(
    `session-${leaver}`,
    Array.from({ length: n }, (_, i) => ({
      type: 'LoginSucceeded',
      occurredAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
      data: { userId: leaver, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: 'Amsterdam' } },
      actor: { userId: leaver, ip: `10.0.${Math.floor(i / 250)}.${i % 250}`, userAgent, deviceId: `${devicePrefix}${i}` },
    })),
  );

const activityOf = (events: ReturnType<typeof logins>, truncated = false): CompiledActivity => ({
  userId: leaver,
  from: '2026-09-01T00:00:00.000Z',
  to: '2026-11-30T00:00:00.000Z',
  summary: summarizeActivity(leaver, events),
  eventCount: events.length,
  truncated,
});

describe('the UserActivityCompiled answer', () => {
  it('carries the whole summary, without cuts, when it is small', () => {
    const activity = activityOf(logins(3));
    const data = userActivityCompiledData(commandId, 90, activity);
    expect(data).toEqual({ commandId, userId: leaver, days: 90, from: activity.from, to: activity.to, eventCount: 3, truncated: false, summary: activity.summary });
    expect(userActivityCompiledV1.safeParse(data).success).toBe(true);
  });

  it('says truncated when the activity left events unread', () => {
    expect(userActivityCompiledData(commandId, 90, activityOf(logins(3), true)).truncated).toBe(true);
  });

  it('keeps the newest logins up to the cap and every count', () => {
    const activity = activityOf(logins(ACTIVITY_ANSWER_CAPS.logins + 50));
    const data = userActivityCompiledData(commandId, 90, activity);
    const summary = data.summary as typeof activity.summary;
    expect(data.truncated).toBe(true);
    expect(summary.logins.count).toBe(ACTIVITY_ANSWER_CAPS.logins + 50);
    expect(summary.logins.items).toEqual(activity.summary.logins.items.slice(50));
    expect(summary.logins.distinctIps).toEqual(activity.summary.logins.distinctIps.slice(0, ACTIVITY_ANSWER_CAPS.distinctIps));
    expect(summary.logins.distinctDevices).toHaveLength(ACTIVITY_ANSWER_CAPS.distinctDevices);
    expect(summary.logins.countries).toEqual(['NL']);
  });

  it('halves every cap until the JSON fits the byte budget, keeping the newest entries', () => {
    // User agents and device ids as long as the envelope allows.
    const activity = activityOf(logins(ACTIVITY_ANSWER_CAPS.logins, 'A'.repeat(1000), 'D'.repeat(190)));
    expect(Buffer.byteLength(JSON.stringify(activity.summary))).toBeGreaterThan(ACTIVITY_ANSWER_MAX_BYTES);
    const data = userActivityCompiledData(commandId, 90, activity);
    const summary = data.summary as typeof activity.summary;
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThanOrEqual(ACTIVITY_ANSWER_MAX_BYTES);
    expect(data.truncated).toBe(true);
    expect(summary.logins.items).toEqual(activity.summary.logins.items.slice(ACTIVITY_ANSWER_CAPS.logins / 2));
  });

  it('empties the lists when nothing else fits a tiny budget, counts kept', () => {
    const activity = activityOf(logins(10));
    const data = userActivityCompiledData(commandId, 90, activity, { maxBytes: 10 });
    const summary = data.summary as typeof activity.summary;
    expect(summary.logins).toEqual({ count: 10, failures: 0, distinctIps: [], distinctDevices: [], countries: [], items: [] });
    expect(data.truncated).toBe(true);
  });

  it('keeps the alert rules with the most alerts', () => {
    const alerts = chainOf(
      'alerts',
      ['a', 'b', 'b', 'c', 'c', 'c'].map((rule) => ({ type: 'AlertRaised', data: { alertId: randomUUID(), rule, severity: 'high', userId: leaver, summary: 's' } })),
    );
    const activity = activityOf(alerts);
    const data = userActivityCompiledData(commandId, 90, activity, { caps: { ...ACTIVITY_ANSWER_CAPS, alertRules: 2 } });
    const summary = data.summary as typeof activity.summary;
    expect(summary.alerts.byRule).toEqual({ c: 3, b: 2 });
    expect(summary.alerts.count).toBe(6);
    expect(data.truncated).toBe(true);
  });
});
