import { randomUUID } from 'node:crypto';
import type { VerificationResult } from '../verification/trail-verifier';
import { chainOf } from '../test/trail-fixtures';
import { buildReport } from './report-builder.util';
import { parsePeriod, periodsEndedBy } from './report-period.util';
import { renderReportCsv, renderReportHtml } from './report-render.util';

const alice = randomUUID();
const bob = randomUUID();
const caseId = randomUUID();
const exportId = randomUUID();
const at = (day: number, hour = 9) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

/** A November 2026 history, with a few events just outside the month. */
const history = [
  ...chainOf(`session-${alice}`, [
    { type: 'LoginSucceeded', data: { userId: alice, sessionId: randomUUID(), mfa: true, geo: { country: 'CN', city: null } }, occurredAt: at(2) },
    { type: 'LoginSucceeded', data: { userId: alice, sessionId: randomUUID(), mfa: true, geo: { country: 'FR', city: null } }, occurredAt: at(3) },
  ]),
  ...chainOf(`session-${bob}`, [{ type: 'LoginSucceeded', data: { userId: bob, sessionId: randomUUID(), mfa: false, geo: null }, occurredAt: at(3) }]),
  ...chainOf('login-failures', [
    { type: 'LoginFailed', data: { userId: alice, usernameHash: 'a'.repeat(64), reason: 'bad_credentials' }, occurredAt: at(4) },
    { type: 'LoginFailed', data: { userId: null, usernameHash: 'b'.repeat(64), reason: 'bad_credentials' }, occurredAt: at(4) },
    { type: 'LoginFailed', data: { userId: bob, usernameHash: 'c'.repeat(64), reason: 'locked' }, occurredAt: at(5) },
  ]),
  ...chainOf(`export-${exportId}`, [
    { type: 'ExportRequested', data: { exportId, requesterId: alice }, occurredAt: at(3, 10) },
    { type: 'ExportApprovalRequired', data: { exportId, requesterId: alice }, occurredAt: at(3, 10) },
    { type: 'ExportCompleted', data: { exportId, requesterId: alice, rowCount: 1200, fields: ['name'], clearFields: ['mobile'] }, occurredAt: at(3, 11) },
    { type: 'ExportDownloaded', data: { exportId, requesterId: alice }, occurredAt: at(3, 12) },
  ]),
  ...chainOf(`access-${alice}`, [
    { type: 'SensitiveFieldRevealed', data: { customerId: randomUUID(), field: 'mobile', reason: 'call back' }, occurredAt: at(6) },
    { type: 'SensitiveFieldRevealed', data: { customerId: randomUUID(), field: 'mobile', reason: 'call back' }, occurredAt: at(6) },
    { type: 'SensitiveFieldRevealed', data: { customerId: randomUUID(), field: 'email', reason: 'mail' }, occurredAt: at(7) },
  ]),
  ...chainOf('grant-1', [
    { type: 'GrantRequested', data: { userId: bob }, occurredAt: at(8) },
    { type: 'GrantApproved', data: { userId: bob }, occurredAt: at(8) },
    { type: 'GrantExpired', data: { userId: bob }, occurredAt: at(20) },
  ]),
  ...chainOf('alert-1', [
    { type: 'AlertRaised', data: { rule: 'new-country', severity: 'high', userId: alice }, occurredAt: at(3) },
    { type: 'AlertResolved', data: { rule: 'new-country', resolution: 'false_positive' }, occurredAt: at(4) },
  ]),
  ...chainOf('alert-2', [
    { type: 'AlertRaised', data: { rule: 'bulk-export', severity: 'critical', userId: alice }, occurredAt: at(3, 11) },
    { type: 'AlertResolved', data: { rule: 'bulk-export', resolution: 'resolved' }, occurredAt: at(9) },
  ]),
  ...chainOf('alert-3', [{ type: 'AlertRaised', data: { rule: 'brute-force', severity: 'medium', userId: bob }, occurredAt: at(5) }]),
  ...chainOf(`offboarding-${caseId}`, [
    { type: 'OffboardingRequested', data: { caseId, userId: alice }, occurredAt: at(10, 8) },
    { type: 'OffboardingCompleted', data: { caseId, userId: alice }, occurredAt: at(10, 11) },
  ]),
];

const verification: VerificationResult = {
  ok: true,
  verifiedAt: '2026-12-01T00:05:00.000Z',
  treeSize: 500,
  eventsChecked: 500,
  expired: 0,
  checkpointsChecked: 3,
  lastCheckpoint: null,
  problemCount: 0,
  problems: [],
};

describe('periodic report', () => {
  const period = parsePeriod('2026-11');
  if (!period) throw new Error('period');
  const report = buildReport(period, history, { customerViews: 42, listings: 7 }, verification, new Date('2026-12-01T00:10:00Z'));

  it('parses months and quarters, and refuses anything else', () => {
    expect(parsePeriod('2026-Q4')).toMatchObject({ kind: 'quarter', from: new Date('2026-10-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
    expect(parsePeriod('2026-13')).toBeNull();
    expect(parsePeriod('2026-Q5')).toBeNull();
    expect(periodsEndedBy(new Date('2027-01-01T01:00:00Z'))).toEqual(['2026-12', '2026-Q4']);
    expect(periodsEndedBy(new Date('2026-12-01T01:00:00Z'))).toEqual(['2026-11']);
  });

  it('counts logins, failures by reason and unusual logins', () => {
    expect(report.logins).toEqual({ succeeded: 3, failed: 3, failuresByReason: { bad_credentials: 2, locked: 1 }, distinctUsers: 2 });
    expect(report.unusualLogins).toEqual({ total: 2, byRule: { 'new-country': 1, 'brute-force': 1 } });
  });

  it('counts exports with their rows, reveals by field, grants', () => {
    expect(report.exports).toEqual({ requested: 1, approvalRequired: 1, completed: 1, rows: 1200, withClearFields: 1, downloads: 1 });
    expect(report.reveals).toEqual({ total: 3, byField: { mobile: 2, email: 1 } });
    expect(report.grants).toEqual({ requested: 1, issued: 1, expired: 1, revoked: 0 });
  });

  it('groups alerts by rule and resolution', () => {
    expect(report.alerts.raised).toBe(3);
    expect(report.alerts.bySeverity).toEqual({ high: 1, critical: 1, medium: 1 });
    expect(report.alerts.byRule).toEqual([
      { rule: 'bulk-export', raised: 1, resolved: 1, falsePositive: 0 },
      { rule: 'new-country', raised: 1, resolved: 0, falsePositive: 1 },
      { rule: 'brute-force', raised: 1, resolved: 0, falsePositive: 0 },
    ]);
  });

  it('measures offboardings and quotes the chain verification', () => {
    expect(report.offboardings).toEqual({
      requested: 1,
      completed: 1,
      durationHours: { average: 3, median: 3, max: 3 },
      cases: [{ caseId, userId: alice, requestedAt: at(10, 8), completedAt: at(10, 11), hours: 3 }],
    });
    expect(report.chainVerification).toEqual({ verifiedAt: verification.verifiedAt, ok: true, treeSize: 500, eventsChecked: 500, problemCount: 0 });
    expect(report.views).toEqual({ customerViews: 42, listings: 7 });
  });

  it('has one day entry per day of the month', () => {
    expect(report.daily).toHaveLength(30);
    expect(report.daily.find((d) => d.day === '2026-11-03')).toEqual({ day: '2026-11-03', logins: 2, loginFailures: 0, exports: 1, reveals: 0, alerts: 2 });
  });

  it('renders printable HTML with SVG charts and escaped text, and CSV', () => {
    const html = renderReportHtml({ ...report, offboardings: { ...report.offboardings, cases: [{ ...report.offboardings.cases[0], userId: '<script>x</script>' }] } });
    expect(html).toContain('<svg');
    expect(html).toContain('@media print');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;script&gt;x');
    const csv = renderReportCsv(report);
    expect(csv.split('\n')[0]).toBe('section,metric,value');
    expect(csv).toContain('exports,rows,1200');
    expect(csv).toContain('alerts,new-country.falsePositive,1');
    expect(csv).toContain('chainVerification,ok,true');
  });
});
