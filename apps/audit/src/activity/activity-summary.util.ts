import type { EventEnvelope } from '@warden/contracts';

type Data = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export type LoginEntry = { at: string; ip: string | null; deviceId: string | null; userAgent: string | null; geo: unknown; mfa: boolean };
export type ExportEntry = {
  exportId: string;
  requestedAt: string | null;
  completedAt: string | null;
  rows: number | null;
  fields: string[];
  clearFields: string[];
  format: string | null;
  approvalRequired: boolean;
};
export type AlertEntry = { alertId: string; rule: string; severity: string; at: string; summary: string };

export type UserActivitySummary = {
  logins: { count: number; failures: number; distinctIps: string[]; distinctDevices: string[]; countries: string[]; items: LoginEntry[] };
  customersViewed: { views: number; distinctCustomers: number; top: Array<{ customerId: string; views: number }> };
  listings: { searches: number; lists: number; customersReturned: number };
  reveals: { count: number; items: Array<{ at: string; customerId: string; field: string; reason: string }> };
  exports: { count: number; rows: number; items: ExportEntry[] };
  downloads: { count: number; items: Array<{ at: string; exportId: string; ip: string | null; bytes: number }> };
  alerts: { count: number; byRule: Record<string, number>; items: AlertEntry[] };
};

/**
 * The summary of a user's activity (the offboarding leaver report uses it), from the events that
 * name the user as actor or subject, in any order. Pure.
 */
export function summarizeActivity(userId: string, events: readonly EventEnvelope[]): UserActivitySummary {
  const sorted = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const s: UserActivitySummary = {
    logins: { count: 0, failures: 0, distinctIps: [], distinctDevices: [], countries: [], items: [] },
    customersViewed: { views: 0, distinctCustomers: 0, top: [] },
    listings: { searches: 0, lists: 0, customersReturned: 0 },
    reveals: { count: 0, items: [] },
    exports: { count: 0, rows: 0, items: [] },
    downloads: { count: 0, items: [] },
    alerts: { count: 0, byRule: {}, items: [] },
  };
  const ips = new Set<string>();
  const devices = new Set<string>();
  const countries = new Set<string>();
  const views = new Map<string, number>();
  const exports = new Map<string, ExportEntry>();
  const exportOf = (id: string): ExportEntry => {
    let entry = exports.get(id);
    if (!entry) {
      entry = { exportId: id, requestedAt: null, completedAt: null, rows: null, fields: [], clearFields: [], format: null, approvalRequired: false };
      exports.set(id, entry);
    }
    return entry;
  };
  for (const e of sorted) {
    const d = e.data as Data;
    const byUser = e.actor.userId === userId;
    const aboutUser = str(d.userId) === userId || str(d.requesterId) === userId;
    switch (e.type) {
      case 'LoginSucceeded': {
        if (!aboutUser) break;
        s.logins.count += 1;
        if (e.actor.ip) ips.add(e.actor.ip);
        const device = e.actor.deviceId ?? e.actor.userAgent;
        if (device) devices.add(device);
        const country = str((d.geo as Data | null)?.country);
        if (country) countries.add(country);
        s.logins.items.push({ at: e.occurredAt, ip: e.actor.ip, deviceId: e.actor.deviceId, userAgent: e.actor.userAgent, geo: d.geo ?? null, mfa: d.mfa === true });
        break;
      }
      case 'LoginFailed':
        if (aboutUser) s.logins.failures += 1;
        break;
      case 'CustomerViewed': {
        const id = str(d.customerId);
        if (!byUser || !id) break;
        s.customersViewed.views += 1;
        views.set(id, (views.get(id) ?? 0) + 1);
        break;
      }
      case 'CustomersSearched':
      case 'CustomersListed':
        if (!byUser) break;
        if (e.type === 'CustomersSearched') s.listings.searches += 1;
        else s.listings.lists += 1;
        s.listings.customersReturned += num(d.resultCount);
        break;
      case 'SensitiveFieldRevealed':
        if (!byUser) break;
        s.reveals.count += 1;
        s.reveals.items.push({ at: e.occurredAt, customerId: str(d.customerId) ?? '', field: str(d.field) ?? '', reason: str(d.reason) ?? '' });
        break;
      case 'ExportRequested': {
        const id = str(d.exportId);
        if (!aboutUser || !id) break;
        const entry = exportOf(id);
        entry.requestedAt = e.occurredAt;
        entry.fields = strings(d.fields);
        entry.clearFields = strings(d.clearFields);
        entry.format = str(d.format);
        break;
      }
      case 'ExportApprovalRequired': {
        const id = str(d.exportId);
        if (aboutUser && id) exportOf(id).approvalRequired = true;
        break;
      }
      case 'ExportCompleted': {
        const id = str(d.exportId);
        if (!aboutUser || !id) break;
        const entry = exportOf(id);
        entry.completedAt = e.occurredAt;
        entry.rows = num(d.rowCount);
        if (strings(d.fields).length) entry.fields = strings(d.fields);
        entry.clearFields = strings(d.clearFields);
        break;
      }
      case 'ExportDownloaded':
        if (!aboutUser) break;
        s.downloads.count += 1;
        s.downloads.items.push({ at: e.occurredAt, exportId: str(d.exportId) ?? '', ip: str(d.ip), bytes: num(d.bytes) });
        break;
      case 'AlertRaised': {
        if (str(d.userId) !== userId) break;
        const rule = str(d.rule) ?? 'unknown';
        s.alerts.count += 1;
        s.alerts.byRule[rule] = (s.alerts.byRule[rule] ?? 0) + 1;
        s.alerts.items.push({ alertId: str(d.alertId) ?? '', rule, severity: str(d.severity) ?? '', at: e.occurredAt, summary: str(d.summary) ?? '' });
        break;
      }
      default:
        break;
    }
  }
  s.logins.distinctIps = [...ips].sort();
  s.logins.distinctDevices = [...devices].sort();
  s.logins.countries = [...countries].sort();
  s.customersViewed.distinctCustomers = views.size;
  s.customersViewed.top = [...views]
    .map(([customerId, n]) => ({ customerId, views: n }))
    .sort((a, b) => b.views - a.views || a.customerId.localeCompare(b.customerId))
    .slice(0, 10);
  s.exports.items = [...exports.values()];
  s.exports.count = s.exports.items.length;
  s.exports.rows = s.exports.items.reduce((sum, x) => sum + (x.rows ?? 0), 0);
  return s;
}
