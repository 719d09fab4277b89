import type { TrailItem } from '../api/audit.api';
import { departingFromTrail, exportRowsPerDay, loginLocations, loginsPerHour } from './security.util';

let position = 0;
const item = (
  type: string,
  occurredAt: string,
  data: Record<string, unknown>,
  actor: Partial<TrailItem['event']['actor']> = {},
): TrailItem => ({
  position: ++position,
  topic: 't',
  indexedAt: occurredAt,
  event: {
    eventId: `e${position}`,
    type,
    streamId: 's',
    streamVersion: 1,
    occurredAt,
    actor: { userId: 'actor', ...actor },
    data,
  },
});

describe('loginLocations', () => {
  it('groups sign-ins by user and place, with addresses, MFA count and the newest first', () => {
    const items = [
      item(
        'LoginSucceeded',
        '2030-01-01T08:00:00.000Z',
        { userId: 'u1', mfa: true, geo: { country: 'DE', city: 'Berlin', asn: 3320, asnOrg: 'DTAG' } },
        { ip: '1.1.1.1' },
      ),
      item(
        'LoginSucceeded',
        '2030-01-02T08:00:00.000Z',
        { userId: 'u1', mfa: false, geo: { country: 'DE', city: 'Berlin' } },
        { ip: '1.1.1.2' },
      ),
      item(
        'LoginSucceeded',
        '2030-01-01T09:00:00.000Z',
        { userId: 'u1', mfa: true, geo: { country: 'DE', city: 'Berlin' } },
        { ip: '1.1.1.1' },
      ),
      item(
        'LoginSucceeded',
        '2030-01-03T08:00:00.000Z',
        { userId: 'u2', mfa: false, geo: null },
        { ip: '127.0.0.1' },
      ),
      item(
        'LoginFailed',
        '2030-01-04T08:00:00.000Z',
        { userId: 'u1', geo: { country: 'FR', city: null } },
        { ip: '9.9.9.9' },
      ),
    ];
    expect(loginLocations(items)).toEqual([
      {
        userId: 'u2',
        country: null,
        city: null,
        network: null,
        ips: ['127.0.0.1'],
        logins: 1,
        mfa: 0,
        firstAt: '2030-01-03T08:00:00.000Z',
        lastAt: '2030-01-03T08:00:00.000Z',
      },
      {
        userId: 'u1',
        country: 'DE',
        city: 'Berlin',
        network: 'AS3320 DTAG',
        ips: ['1.1.1.1', '1.1.1.2'],
        logins: 3,
        mfa: 2,
        firstAt: '2030-01-01T08:00:00.000Z',
        lastAt: '2030-01-02T08:00:00.000Z',
      },
    ]);
  });
});

describe('loginsPerHour', () => {
  it('counts failures and successes in each of the last hours, oldest first, ignoring older events', () => {
    const now = new Date(2030, 0, 1, 14, 20);
    const at = (h: number, m: number) => new Date(2030, 0, 1, h, m).toISOString();
    const hours = loginsPerHour(
      [
        item('LoginFailed', at(14, 5), {}),
        item('LoginFailed', at(14, 15), {}),
        item('LoginSucceeded', at(13, 59), {}),
        item('LoginFailed', at(11, 0), {}),
        item('LoginFailed', at(10, 59), {}),
        item('CustomerViewed', at(14, 1), {}),
      ],
      now,
      4,
    );
    expect(hours).toEqual([
      { hour: '11:00', failures: 1, successes: 0 },
      { hour: '12:00', failures: 0, successes: 0 },
      { hour: '13:00', failures: 0, successes: 1 },
      { hour: '14:00', failures: 2, successes: 0 },
    ]);
  });
});

describe('exportRowsPerDay', () => {
  it('adds up the rows of the completed exports per local day', () => {
    const now = new Date(2030, 0, 3, 12, 0);
    const at = (d: number, h: number) => new Date(2030, 0, d, h).toISOString();
    expect(
      exportRowsPerDay(
        [
          item('ExportCompleted', at(3, 9), { rowCount: 5 }),
          item('ExportCompleted', at(3, 10), { rowCount: 7 }),
          item('ExportCompleted', at(1, 10), { rowCount: 2 }),
          item('ExportCompleted', at(1, 11), { rowCount: 'many' }),
          item('ExportRequested', at(2, 10), { rowCount: 100 }),
          item('ExportCompleted', new Date(2029, 11, 1).toISOString(), { rowCount: 9 }),
        ],
        now,
        3,
      ),
    ).toEqual([
      { day: '2030-01-01', rows: 2, exports: 2 },
      { day: '2030-01-02', rows: 0, exports: 0 },
      { day: '2030-01-03', rows: 12, exports: 2 },
    ]);
  });
});

describe('departingFromTrail', () => {
  it('keeps the users whose last status event left them departing, soonest departure first', () => {
    const items = [
      item('UserStatusChanged', '2030-01-02T00:00:00Z', { userId: 'u3', from: 'active', to: 'departing' }),
      item('UserMarkedDeparting', '2030-01-01T00:00:00Z', {
        userId: 'u1',
        effectiveAt: '2030-02-01T00:00:00Z',
      }),
      item('UserMarkedDeparting', '2030-01-01T00:00:00Z', {
        userId: 'u2',
        effectiveAt: '2030-01-15T00:00:00Z',
      }),
      item('UserStatusChanged', '2030-01-05T00:00:00Z', { userId: 'u2', from: 'departing', to: 'active' }),
      item('UserMarkedDeparting', '2030-01-03T00:00:00Z', {
        userId: 'u4',
        effectiveAt: '2030-01-20T00:00:00Z',
      }),
      item('UserFrozen', '2030-01-20T00:00:00Z', { userId: 'u4' }),
      item('UserStatusChanged', '2030-01-03T00:00:00Z', { userId: 'u1', from: 'active', to: 'departing' }),
    ];
    expect(departingFromTrail(items)).toEqual([
      { userId: 'u1', since: '2030-01-01T00:00:00Z', effectiveAt: '2030-02-01T00:00:00Z' },
      { userId: 'u3', since: '2030-01-02T00:00:00Z', effectiveAt: null },
    ]);
  });

  it('takes a user off the list when their departure is cancelled, even while they are disabled', () => {
    const items = [
      item('UserMarkedDeparting', '2030-01-01T00:00:00Z', { userId: 'u5', effectiveAt: '2030-02-01T00:00:00Z' }),
      item('UserDepartureCancelled', '2030-01-10T00:00:00Z', {
        userId: 'u5',
        effectiveAt: '2030-02-01T00:00:00Z',
        reason: 'offboarding cancelled',
      }),
    ];
    expect(departingFromTrail(items)).toEqual([]);
  });
});
