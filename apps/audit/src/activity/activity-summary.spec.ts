import { randomUUID } from 'node:crypto';
import { chainOf } from '../test/trail-fixtures';
import { summarizeActivity } from './activity-summary.util';

const leaver = randomUUID();
const other = randomUUID();
const c1 = randomUUID();
const c2 = randomUUID();
const exportId = randomUUID();

describe('user activity summary', () => {
  const events = [
    ...chainOf(`session-${leaver}`, [
      {
        type: 'LoginSucceeded',
        data: { userId: leaver, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: 'Amsterdam' } },
        actor: { userId: leaver, ip: '203.0.113.5', deviceId: 'laptop-1' },
      },
    ]),
    ...chainOf('failures', [{ type: 'LoginFailed', data: { userId: leaver, usernameHash: 'a'.repeat(64), reason: 'bad_credentials' } }]),
    ...chainOf(`access-${leaver}`, [
      { type: 'CustomerViewed', data: { readerId: leaver, customerId: c1, fieldsInClear: [], fieldsMasked: ['mobile'] }, actor: { userId: leaver } },
      { type: 'CustomerViewed', data: { readerId: leaver, customerId: c1, fieldsInClear: [], fieldsMasked: [] }, actor: { userId: leaver } },
      { type: 'CustomerViewed', data: { readerId: leaver, customerId: c2, fieldsInClear: [], fieldsMasked: [] }, actor: { userId: leaver } },
      { type: 'SensitiveFieldRevealed', data: { readerId: leaver, customerId: c2, field: 'mobile', reason: 'call' }, actor: { userId: leaver } },
      { type: 'CustomersSearched', data: { readerId: leaver, resultCount: 12, customerIds: [] }, actor: { userId: leaver } },
    ]),
    ...chainOf(`access-${other}`, [{ type: 'CustomerViewed', data: { readerId: other, customerId: c1 }, actor: { userId: other } }]),
    ...chainOf(`export-${exportId}`, [
      { type: 'ExportRequested', data: { exportId, requesterId: leaver, fields: ['name', 'mobile'], clearFields: [], format: 'csv' } },
      { type: 'ExportCompleted', data: { exportId, requesterId: leaver, rowCount: 800, fields: ['name', 'mobile'], clearFields: [] } },
      { type: 'ExportDownloaded', data: { exportId, requesterId: leaver, ip: '203.0.113.5', bytes: 1000 } },
    ]),
    ...chainOf('alert-x', [{ type: 'AlertRaised', data: { alertId: randomUUID(), rule: 'bulk-export', severity: 'high', userId: leaver, summary: 's' } }]),
  ];
  const s = summarizeActivity(leaver, events);

  it('logins with ip, device and geo; failures', () => {
    expect(s.logins).toMatchObject({ count: 1, failures: 1, distinctIps: ['203.0.113.5'], distinctDevices: ['laptop-1'], countries: ['NL'] });
    expect(s.logins.items[0]).toMatchObject({ ip: '203.0.113.5', deviceId: 'laptop-1', geo: { country: 'NL', city: 'Amsterdam' }, mfa: true });
  });

  it("customers viewed (the user's own views only) with the top customers; reveals and searches", () => {
    expect(s.customersViewed).toEqual({ views: 3, distinctCustomers: 2, top: [{ customerId: c1, views: 2 }, { customerId: c2, views: 1 }] });
    expect(s.reveals).toMatchObject({ count: 1, items: [{ customerId: c2, field: 'mobile', reason: 'call' }] });
    expect(s.listings).toEqual({ searches: 1, lists: 0, customersReturned: 12 });
  });

  it('exports with rows and fields, downloads, alerts', () => {
    expect(s.exports).toMatchObject({ count: 1, rows: 800, items: [{ exportId, rows: 800, fields: ['name', 'mobile'], format: 'csv' }] });
    expect(s.downloads).toMatchObject({ count: 1, items: [{ exportId, bytes: 1000 }] });
    expect(s.alerts).toMatchObject({ count: 1, byRule: { 'bulk-export': 1 } });
  });
});
