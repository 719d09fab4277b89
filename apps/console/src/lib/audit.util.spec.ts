import type { AuditReport, TrailItem, VerificationResult } from '../api/audit.api';
import {
  auditSearchSchema,
  customersOf,
  EMPTY_AUDIT_SEARCH,
  reportFigures,
  reportPeriods,
  reportPeriodSchema,
  sourceOfTopic,
  summarizeData,
  verificationVerdict,
} from './audit.util';
import { validate } from './validation.util';

describe('auditSearchSchema', () => {
  it('turns the form into the audit filters: types tidied, local times in UTC, empty fields left out', () => {
    const from = '2030-06-01T08:00';
    const checked = validate(auditSearchSchema, {
      ...EMPTY_AUDIT_SEARCH,
      actor: ' u-1 ',
      type: 'ExportRequested, ExportApproved,,',
      service: 'exports',
      from,
    });
    expect(checked).toEqual({
      ok: true,
      value: {
        actor: 'u-1',
        type: 'ExportRequested,ExportApproved',
        service: 'exports',
        from: new Date(from).toISOString(),
      },
    });
    expect(validate(auditSearchSchema, EMPTY_AUDIT_SEARCH)).toEqual({ ok: true, value: {} });
  });

  it('names each problem: a type that is not PascalCase, an unknown service, a bad date, an end before the start', () => {
    expect(
      validate(auditSearchSchema, {
        ...EMPTY_AUDIT_SEARCH,
        type: 'exportRequested',
        service: 'billing',
        from: 'yesterday',
      }),
    ).toEqual({
      ok: false,
      errors: {
        type: expect.stringMatching(/^Event types are PascalCase names/),
        service: 'Choose a service',
        from: 'Enter a valid date and time',
      },
    });
    expect(
      validate(auditSearchSchema, {
        ...EMPTY_AUDIT_SEARCH,
        from: '2030-06-02T00:00',
        to: '2030-06-01T00:00',
      }),
    ).toEqual({ ok: false, errors: { to: 'The end must be after the start' } });
  });
});

const item = (over: Partial<TrailItem['event']>, topic = 't.warden.exports.events.v1'): TrailItem => ({
  position: 1,
  topic,
  indexedAt: '2030-06-01T00:00:00Z',
  event: {
    eventId: 'e',
    type: 'ExportRequested',
    streamId: 's',
    streamVersion: 1,
    occurredAt: '2030-06-01T00:00:00Z',
    actor: { userId: 'u' },
    data: {},
    ...over,
  },
});

describe('trail items', () => {
  it('names the source of an event by its topic, whatever the prefix', () => {
    expect(sourceOfTopic('e2e_x.warden.exports.events.v1')).toBe('exports');
    expect(sourceOfTopic('warden.customer-records.events.v1')).toBe('customer-records');
    expect(sourceOfTopic('p.warden.access.v1')).toBe('customer-records (reads)');
    expect(sourceOfTopic('warden.alerts.v1')).toBe('alerts');
    expect(sourceOfTopic('other')).toBe('other');
  });

  it('finds the customers an event names, once each', () => {
    expect(customersOf(item({ data: { customerId: 'c1', customerIds: ['c1', 'c2', 7] } }))).toEqual([
      'c1',
      'c2',
    ]);
    expect(customersOf(item({ data: {} }))).toEqual([]);
  });

  it('digests the short values of the data and leaves objects out', () => {
    expect(
      summarizeData({
        exportId: 'x1',
        estimatedRows: 12,
        fields: ['name', 'mobile', 'email', 'address', 'tags'],
        filter: { q: 'a' },
        clear: false,
        none: null,
      }),
    ).toBe('exportId: x1 · estimatedRows: 12 · fields: name, mobile, email, address +1 · clear: false');
    expect(summarizeData({ long: 'y'.repeat(60) })).toBe(`long: ${'y'.repeat(37)}…`);
    expect(summarizeData({ a: 'x'.repeat(30), b: 'y'.repeat(30) }, 20)).toHaveLength(20);
    expect(summarizeData(undefined)).toBe('');
  });
});

describe('reports', () => {
  it('offers the last twelve months (newest first) and their quarters', () => {
    const periods = reportPeriods(new Date(Date.UTC(2030, 1, 15)));
    const months = periods.filter((p) => p.group === 'Months');
    expect(months).toHaveLength(12);
    expect(months[0]).toEqual({ value: '2030-02', label: 'February 2030', group: 'Months' });
    expect(months[11].value).toBe('2029-03');
    expect(periods.filter((p) => p.group === 'Quarters').map((p) => p.value)).toEqual([
      '2030-Q1',
      '2029-Q4',
      '2029-Q3',
      '2029-Q2',
      '2029-Q1',
    ]);
    for (const p of periods) expect(reportPeriodSchema.safeParse(p.value).success).toBe(true);
    expect(reportPeriodSchema.safeParse('2030-13').success).toBe(false);
    expect(reportPeriodSchema.safeParse('2030-Q5').success).toBe(false);
  });

  it('lists the headline figures of a report', () => {
    const report = {
      logins: { succeeded: 40, failed: 3, failuresByReason: {}, distinctUsers: 9 },
      unusualLogins: { total: 2, byRule: {} },
      exports: {
        requested: 5,
        approvalRequired: 2,
        completed: 4,
        rows: 812,
        withClearFields: 1,
        downloads: 3,
      },
      reveals: { total: 6, byField: { nationalId: 4, address: 2 } },
      grants: { requested: 2, issued: 1, expired: 0, revoked: 1 },
      alerts: { raised: 1, bySeverity: { high: 1 }, byRule: [] },
      offboardings: { requested: 1, completed: 1, durationHours: { average: 1, median: 1, max: 1 } },
      views: { customerViews: 120, listings: 30 },
    } as unknown as AuditReport;
    const figures = Object.fromEntries(reportFigures(report).map((f) => [f.label, f]));
    expect(figures.Exports).toEqual({
      label: 'Exports',
      value: 4,
      detail: '812 rows · 2 needed approval · 3 downloads',
    });
    expect(figures['Clear-field reveals'].detail).toBe('nationalId 4 · address 2');
    expect(figures.Alerts.detail).toBe('high 1');
    expect(figures['Customer views'].value).toBe(120);
  });
});

describe('verificationVerdict', () => {
  const result: VerificationResult = {
    ok: true,
    verifiedAt: '2030-06-01T00:00:00Z',
    treeSize: 120,
    eventsChecked: 120,
    expired: 0,
    checkpointsChecked: 3,
    lastCheckpoint: { treeSize: 118, rootHash: 'ab', issuedAt: 'x', signatureValid: true, rootMatches: true },
    problemCount: 0,
    problems: [],
  };

  it('says the trail is intact, with what was checked', () => {
    expect(verificationVerdict(result)).toEqual({
      ok: true,
      title: 'The trail is intact',
      detail:
        '120 events and 3 checkpoints checked; latest checkpoint at tree size 118 is signed and matches.',
    });
  });

  it('says how many problems were found, and when a checkpoint does not match', () => {
    const verdict = verificationVerdict({
      ...result,
      ok: false,
      problemCount: 2,
      expired: 4,
      lastCheckpoint: { ...result.lastCheckpoint!, rootMatches: false },
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.title).toBe('2 problems found');
    expect(verdict.detail).toContain('(4 expired by retention)');
    expect(verdict.detail).toContain('does NOT match');
    expect(verificationVerdict({ ...result, lastCheckpoint: null }).detail).toContain(
      'no signed checkpoint yet',
    );
  });
});
