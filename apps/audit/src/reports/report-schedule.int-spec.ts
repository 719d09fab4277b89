import { randomUUID } from 'node:crypto';
import { eventRegistry } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { openTestTrail } from '../test/test-trail';
import { chainOf } from '../test/trail-fixtures';
import { VerificationService } from '../verification/verification.service';
import { ReportService } from './report.service';

describe('reports by schedule (Postgres)', () => {
  let t: Awaited<ReturnType<typeof openTestTrail>>;
  beforeAll(async () => {
    t = await openTestTrail('warden.authorization.events.v1');
  });
  afterAll(async () => {
    await t.close();
  });

  it('at the end of a month (and quarter) verifies, builds and records each report once', async () => {
    const user = randomUUID();
    await t.index(
      chainOf(`session-${user}`, [
        { type: 'LoginSucceeded', data: { userId: user, sessionId: randomUUID(), mfa: true, geo: null }, occurredAt: '2026-12-03T10:00:00.000Z' },
        { type: 'LoginFailed', data: { userId: user, usernameHash: 'a'.repeat(64), reason: 'locked' }, occurredAt: '2026-12-04T10:00:00.000Z' },
        { type: 'LoginSucceeded', data: { userId: user, sessionId: randomUUID(), mfa: true, geo: null }, occurredAt: '2027-01-01T00:30:00.000Z' },
      ]),
    );
    await t.checkpoints.checkpointIfGrown();
    const store = new EventStore({ dataSource: t.dataSource, schema: t.schema, registry: eventRegistry });
    const reports = new ReportService(t.config, t.dataSource, store, new VerificationService(t.config, t.dataSource));
    const now = new Date('2027-01-01T01:00:00Z');
    expect(await reports.generateScheduled(now)).toEqual(['2026-12', '2026-Q4']);
    expect(await reports.generateScheduled(now)).toEqual([]);

    const stored: Array<{ period: string; trigger: string; body: { logins: { succeeded: number; failed: number }; chainVerification: { ok: boolean } } }> =
      await t.dataSource.query(`SELECT period, trigger, body FROM "${t.schema}".reports ORDER BY period`);
    expect(stored.map((r) => [r.period, r.trigger, r.body.logins, r.body.chainVerification.ok])).toEqual([
      ['2026-12', 'schedule', expect.objectContaining({ succeeded: 1, failed: 1 }), true],
      ['2026-Q4', 'schedule', expect.objectContaining({ succeeded: 1, failed: 1 }), true],
    ]);
    const events: Array<{ type: string; data: { period: string; trigger: string; generatedBy: string } }> = await t.dataSource.query(
      `SELECT type, data FROM "${t.schema}".events ORDER BY global_position`,
    );
    expect(events.map((e) => [e.type, e.data.period, e.data.trigger, e.data.generatedBy])).toEqual([
      ['AuditReportGenerated', '2026-12', 'schedule', 'system:audit'],
      ['AuditReportGenerated', '2026-Q4', 'schedule', 'system:audit'],
    ]);
  });
});
