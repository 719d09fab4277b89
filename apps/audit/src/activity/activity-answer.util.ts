import type { UserActivityCompiledData } from '@warden/contracts';
import type { UserActivitySummary } from './activity-summary.util';

/** What the answer is built from: `ActivityService.userActivity` without the timeline. */
export type CompiledActivity = {
  userId: string;
  from: string;
  to: string;
  summary: UserActivitySummary;
  eventCount: number;
  truncated: boolean;
};

/**
 * The longest each list of the summary may be in a `UserActivityCompiled` event. Time-ordered lists
 * keep their newest entries, the distinct addresses, devices and countries their first in sort
 * order, `alerts.byRule` the rules with the most alerts. Every count (`logins.count`,
 * `reveals.count`, …) stays the total over the events read.
 */
export const ACTIVITY_ANSWER_CAPS = {
  logins: 200,
  distinctIps: 100,
  distinctDevices: 100,
  countries: 100,
  reveals: 200,
  exports: 100,
  downloads: 200,
  alerts: 200,
  alertRules: 100,
} as const;
export type ActivityAnswerCaps = { [K in keyof typeof ACTIVITY_ANSWER_CAPS]: number };

/**
 * Most bytes of the event's data as JSON (well under Kafka's 1 MB message limit). When the capped
 * lists still weigh more (long user agents, reasons, summaries), every cap is halved until it fits.
 */
export const ACTIVITY_ANSWER_MAX_BYTES = 256 * 1024;

const newest = <T>(list: readonly T[], n: number): T[] => list.slice(Math.max(0, list.length - n));
const first = <T>(list: readonly T[], n: number): T[] => list.slice(0, n);

/** The summary with each list at most its cap; whether anything was cut. Pure. */
export function capSummary(summary: UserActivitySummary, caps: ActivityAnswerCaps): { summary: UserActivitySummary; cut: boolean } {
  const rules = Object.entries(summary.alerts.byRule).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const capped: UserActivitySummary = {
    logins: {
      ...summary.logins,
      distinctIps: first(summary.logins.distinctIps, caps.distinctIps),
      distinctDevices: first(summary.logins.distinctDevices, caps.distinctDevices),
      countries: first(summary.logins.countries, caps.countries),
      items: newest(summary.logins.items, caps.logins),
    },
    customersViewed: summary.customersViewed,
    listings: summary.listings,
    reveals: { ...summary.reveals, items: newest(summary.reveals.items, caps.reveals) },
    exports: { ...summary.exports, items: newest(summary.exports.items, caps.exports) },
    downloads: { ...summary.downloads, items: newest(summary.downloads.items, caps.downloads) },
    alerts: { ...summary.alerts, byRule: Object.fromEntries(first(rules, caps.alertRules)), items: newest(summary.alerts.items, caps.alerts) },
  };
  const cut =
    capped.logins.distinctIps.length < summary.logins.distinctIps.length ||
    capped.logins.distinctDevices.length < summary.logins.distinctDevices.length ||
    capped.logins.countries.length < summary.logins.countries.length ||
    capped.logins.items.length < summary.logins.items.length ||
    capped.reveals.items.length < summary.reveals.items.length ||
    capped.exports.items.length < summary.exports.items.length ||
    capped.downloads.items.length < summary.downloads.items.length ||
    capped.alerts.items.length < summary.alerts.items.length ||
    rules.length > caps.alertRules;
  return { summary: capped, cut };
}

const scaled = (caps: ActivityAnswerCaps, divisor: number): ActivityAnswerCaps =>
  Object.fromEntries(Object.entries(caps).map(([key, cap]) => [key, Math.floor(cap / divisor)])) as ActivityAnswerCaps;

/**
 * The data of the `UserActivityCompiled` answer to command `commandId`: the activity without its
 * timeline, the summary's lists capped (`ACTIVITY_ANSWER_CAPS`) and, if the JSON is still over
 * `maxBytes`, every cap halved until it fits (with every list empty it always does). `truncated`
 * when events were left unread (`activity.truncated`) or a list was cut. Pure.
 */
export function userActivityCompiledData(
  commandId: string,
  days: number,
  activity: CompiledActivity,
  { caps = ACTIVITY_ANSWER_CAPS, maxBytes = ACTIVITY_ANSWER_MAX_BYTES }: { caps?: ActivityAnswerCaps; maxBytes?: number } = {},
): UserActivityCompiledData {
  for (let divisor = 1; ; divisor *= 2) {
    const limits = scaled(caps, divisor);
    const { summary, cut } = capSummary(activity.summary, limits);
    const data: UserActivityCompiledData = {
      commandId,
      userId: activity.userId,
      days,
      from: activity.from,
      to: activity.to,
      eventCount: activity.eventCount,
      truncated: activity.truncated || cut,
      summary,
    };
    const empty = Object.values(limits).every((cap) => cap === 0);
    if (empty || Buffer.byteLength(JSON.stringify(data), 'utf8') <= maxBytes) return data;
  }
}
