/**
 * A real answer of the audit service's `GET /v1/audit/users/:id/activity` (apps/audit
 * `ActivityService.userActivity`: `{userId, from, to, summary, timeline, eventCount, truncated}`),
 * produced by running apps/audit's `summarizeActivity` (src/activity/activity-summary.util.ts) over
 * thirteen events: two logins (one with geo and device), a failed login, three views of two
 * customers, a search, a reveal, an export needing approval, its completion and download, and an
 * alert; the timeline keeps the two newest. An app may not import another app, so the answer is
 * recorded here; offboarding-real-services.e2e-spec.ts checks the live shape of the running app.
 */
export const auditActivityAnswer = {
  userId: '01940000-0000-7000-8000-00000000aa01',
  from: '2029-10-06T00:00:00.000Z',
  to: '2030-01-04T00:00:00.000Z',
  summary: {
    logins: {
      count: 2,
      failures: 1,
      distinctIps: ['198.51.100.4', '203.0.113.9'],
      distinctDevices: ['curl/8.0', 'laptop-7'],
      countries: ['SG'],
      items: [
        {
          at: '2030-01-02T08:00:00.000Z',
          ip: '203.0.113.9',
          deviceId: 'laptop-7',
          userAgent: 'Mozilla/5.0',
          geo: {
            country: 'SG',
            city: 'Singapore',
            asn: 4294967294,
            asnOrg: 'Example, Inc.',
          },
          mfa: true,
        },
        {
          at: '2030-01-03T07:55:00.000Z',
          ip: '198.51.100.4',
          deviceId: null,
          userAgent: 'curl/8.0',
          geo: null,
          mfa: false,
        },
      ],
    },
    customersViewed: {
      views: 3,
      distinctCustomers: 2,
      top: [
        {
          customerId: '01940000-0000-7000-8000-0000000000c1',
          views: 2,
        },
        {
          customerId: '01940000-0000-7000-8000-0000000000c2',
          views: 1,
        },
      ],
    },
    listings: {
      searches: 1,
      lists: 0,
      customersReturned: 12,
    },
    reveals: {
      count: 1,
      items: [
        {
          at: '2030-01-03T09:04:00.000Z',
          customerId: '01940000-0000-7000-8000-0000000000c1',
          field: 'mobile',
          reason: '<b>call back</b>',
        },
      ],
    },
    exports: {
      count: 1,
      rows: 1200,
      items: [
        {
          exportId: 'e-1',
          requestedAt: '2030-01-04T08:00:00.000Z',
          completedAt: '2030-01-04T08:10:00.000Z',
          rows: 1200,
          fields: ['name', 'email'],
          clearFields: [],
          format: 'csv',
          approvalRequired: true,
        },
      ],
    },
    downloads: {
      count: 1,
      items: [
        {
          at: '2030-01-04T09:00:00.000Z',
          exportId: 'e-1',
          ip: '=HYPERLINK("x")',
          bytes: 52000,
        },
      ],
    },
    alerts: {
      count: 1,
      byRule: {
        bulk_export: 1,
      },
      items: [
        {
          alertId: 'a-1',
          rule: 'bulk_export',
          severity: 'high',
          at: '2030-01-04T09:01:00.000Z',
          summary: 'bulk export of 1200 rows',
        },
      ],
    },
  },
  timeline: [
    {
      position: 100,
      topic: 'warden.x.events.v1',
      indexedAt: '2030-01-04T09:01:00.000Z',
      event: {
        eventId: '01940000-0000-7000-8000-000000000013',
        type: 'AlertRaised',
        schemaVersion: 1,
        streamId: 's-13',
        streamVersion: 1,
        globalPosition: 13,
        occurredAt: '2030-01-04T09:01:00.000Z',
        actor: {
          userId: 'system:anomaly-alerting',
          sessionId: 'sess-1',
          ip: null,
          userAgent: null,
          deviceId: null,
        },
        correlationId: 'corr',
        causationId: null,
        data: {
          alertId: 'a-1',
          userId: '01940000-0000-7000-8000-00000000aa01',
          rule: 'bulk_export',
          severity: 'high',
          summary: 'bulk export of 1200 rows',
        },
        prevHash: '0000000000000000000000000000000000000000000000000000000000000000',
        hash: '0000000000000000000000000000000000000000000000000000000000000000',
      },
    },
    {
      position: 99,
      topic: 'warden.x.events.v1',
      indexedAt: '2030-01-04T09:00:00.000Z',
      event: {
        eventId: '01940000-0000-7000-8000-000000000012',
        type: 'ExportDownloaded',
        schemaVersion: 1,
        streamId: 's-12',
        streamVersion: 1,
        globalPosition: 12,
        occurredAt: '2030-01-04T09:00:00.000Z',
        actor: {
          userId: '01940000-0000-7000-8000-00000000aa01',
          sessionId: 'sess-1',
          ip: null,
          userAgent: null,
          deviceId: null,
        },
        correlationId: 'corr',
        causationId: null,
        data: {
          exportId: 'e-1',
          requesterId: '01940000-0000-7000-8000-00000000aa01',
          ip: '=HYPERLINK("x")',
          bytes: 52000,
        },
        prevHash: '0000000000000000000000000000000000000000000000000000000000000000',
        hash: '0000000000000000000000000000000000000000000000000000000000000000',
      },
    },
  ],
  eventCount: 13,
  truncated: false,
} as const;
