import { auditActivityAnswer } from '../test/audit-activity.fixture';
import { buildReport, parseActivity, reportToCsv, reportToHtml } from './leaver-report.util';

const userId = auditActivityAnswer.userId;
const meta = { reportId: 'r-1', caseId: 'c-1', userId, periodDays: 90, generatedAt: '2030-01-05T00:00:00.000Z' };
const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(auditActivityAnswer)) as Record<string, unknown>;

describe('Leaver report (from the audit service activity answer)', () => {
  it('counts logins, distinct customers viewed, reveals, exports, downloads and alerts of the audit summary', () => {
    expect(buildReport(meta, auditActivityAnswer).summary).toEqual({ logins: 2, customersViewed: 2, reveals: 1, exports: 1, downloads: 1, alerts: 1 });
  });

  it('keeps the logins with ip, device, place and MFA, the period and the event count', () => {
    const report = buildReport(meta, auditActivityAnswer);
    expect(report.activity.logins.items).toEqual([
      { at: '2030-01-02T08:00:00.000Z', ip: '203.0.113.9', deviceId: 'laptop-7', userAgent: 'Mozilla/5.0', geo: { country: 'SG', city: 'Singapore' }, mfa: true },
      { at: '2030-01-03T07:55:00.000Z', ip: '198.51.100.4', deviceId: null, userAgent: 'curl/8.0', geo: null, mfa: false },
    ]);
    expect(report.activity.logins).toMatchObject({ failures: 1, distinctIps: ['198.51.100.4', '203.0.113.9'], countries: ['SG'] });
    expect(report.activity.customersViewed).toMatchObject({ views: 3, distinctCustomers: 2 });
    expect(report.activity.exports.items[0]).toMatchObject({ exportId: 'e-1', rows: 1200, fields: ['name', 'email'], format: 'csv', approvalRequired: true });
    expect(report).toMatchObject({ period: { from: auditActivityAnswer.from, to: auditActivityAnswer.to }, eventCount: 13, truncated: false });
    expect(JSON.stringify(report)).not.toContain('timeline');
  });

  it('refuses an answer without the summary instead of reading it as no activity', () => {
    const { summary: _summary, ...withoutSummary } = clone();
    expect(() => parseActivity(withoutSummary)).toThrow(/not in the expected shape \(summary\)/);
    // The shape the first version of this service assumed (flat lists) is refused too.
    expect(() => parseActivity({ userId, from: 'a', to: 'b', logins: [], customersViewed: { count: 1, top: [] } })).toThrow(/summary/);
    expect(() => parseActivity(null)).toThrow(/not in the expected shape/);
  });

  it('names the place of a section in a wrong shape', () => {
    const answer = clone();
    (answer.summary as Record<string, unknown>).logins = 'many';
    expect(() => parseActivity(answer)).toThrow(/not in the expected shape \(summary\.logins\)/);
  });

  it('refuses the activity of another user', () => {
    expect(() => buildReport({ ...meta, userId: 'someone-else' }, auditActivityAnswer)).toThrow(/another user/);
  });

  it('writes one CSV row per item, section first, with formula cells defused', () => {
    const csv = reportToCsv(buildReport(meta, auditActivityAnswer));
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(
      'section,at,ip,device,location,mfa,customerId,views,field,reason,exportId,rows,fields,clearFields,format,approvalRequired,bytes,alertId,rule,severity,summary',
    );
    // 2 logins, 2 customers, 1 reveal, 1 export, 1 download, 1 alert
    expect(lines).toHaveLength(9);
    expect(lines[1]).toBe('login,2030-01-02T08:00:00.000Z,203.0.113.9,laptop-7,"Singapore, SG",true,,,,,,,,,,,,,,,');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('writes a readable HTML page with every value escaped', () => {
    const html = reportToHtml(buildReport(meta, auditActivityAnswer));
    expect(html).toContain('<h2>Logins</h2>');
    expect(html).toContain('&lt;b&gt;call back&lt;/b&gt;');
    expect(html).not.toContain('<b>call back</b>');
    expect(html).toContain('activity of the last 90 days');
    expect(html).toContain('203.0.113.9');
  });
});
