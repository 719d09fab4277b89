import type { ExportEvent } from '@warden/contracts';
import type { ExportCommand, RequestExport } from './export.commands';
import { decide, evolve, initialExportState } from './export.decider';
import { ExportError, ExportErrorCode } from './export.exception';

const exportId = '0190f0a0-0000-7000-8000-000000000001';
const requester = 'user-requester';
const approver = 'user-supervisor';
const now = '2025-06-01T10:00:00.000Z';
const later = '2025-06-02T10:00:00.001Z';

const request = (overrides: Partial<RequestExport['data']> = {}): RequestExport => ({
  type: 'RequestExport',
  data: {
    exportId,
    requesterId: requester,
    teamId: 'team-1',
    filter: {},
    fields: ['name', 'mobile'],
    clearFields: [],
    format: 'csv',
    reason: 'quarterly review',
    estimatedRows: 10,
    geo: null,
    approvalReasons: [],
    approvalExpiresAt: '2025-06-02T10:00:00.000Z',
    ...overrides,
  },
});

const given = (events: ExportEvent[]) => ({
  when: (command: ExportCommand) => {
    const state = events.reduce(evolve, initialExportState);
    const run = () => decide(command, state);
    return {
      then: (expected: ExportEvent[]) => expect(run()).toEqual(expected),
      thenFails: (code: ExportErrorCode) => {
        let error: unknown;
        try {
          run();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ExportError);
        expect((error as ExportError).code).toBe(code);
      },
    };
  },
});

const requested = (overrides: Partial<RequestExport['data']> = {}): ExportEvent[] => decide(request(overrides), initialExportState);
const pending = (overrides: Partial<RequestExport['data']> = {}) => requested({ approvalReasons: ['row_threshold'], ...overrides });
const approve = (data: Partial<Extract<ExportCommand, { type: 'ApproveExport' }>['data']> = {}): ExportCommand => ({
  type: 'ApproveExport',
  data: { approverId: approver, authority: 'supervisor', stepUp: false, comment: 'ok', now, ...data },
});
const decision = { exportId, requesterId: requester, approverId: approver, comment: 'ok' };

describe('Export decider', () => {
  describe('requesting', () => {
    it('records the request alone when no approval is needed (it runs at once)', () => {
      const events = requested();
      expect(events.map((e) => e.type)).toEqual(['ExportRequested']);
      expect(events.reduce(evolve, initialExportState).status).toBe('queued');
    });

    it('records that approval is required, with the reasons and the expiry', () => {
      const events = pending({ approvalReasons: ['row_threshold', 'open_alert'] });
      expect(events[1]).toEqual({
        type: 'ExportApprovalRequired',
        data: { exportId, requesterId: requester, reasons: ['row_threshold', 'open_alert'], expiresAt: '2025-06-02T10:00:00.000Z' },
      });
      expect(events.reduce(evolve, initialExportState).status).toBe('pending_approval');
    });

    it('refuses a second request with the same id', () => {
      given(requested()).when(request()).thenFails(ExportErrorCode.AlreadyExists);
    });
  });

  describe('approving', () => {
    it('approves by a supervisor', () => {
      given(pending()).when(approve()).then([{ type: 'ExportApproved', data: decision }]);
    });

    it('never lets the requester approve their own export, even as a security officer', () => {
      given(pending()).when(approve({ approverId: requester, authority: 'security_officer' })).thenFails(ExportErrorCode.SelfApproval);
    });

    it('refuses someone who is neither a supervisor up the hierarchy nor a security officer', () => {
      given(pending()).when(approve({ authority: null })).thenFails(ExportErrorCode.NotApprover);
    });

    it('refuses an approval after the request expired', () => {
      given(pending()).when(approve({ now: later })).thenFails(ExportErrorCode.ApprovalExpired);
    });

    it('needs a step-up proof for clear sensitive fields', () => {
      const events = pending({ clearFields: ['mobile'], approvalReasons: ['clear_sensitive_fields'] });
      given(events).when(approve()).thenFails(ExportErrorCode.StepUpRequired);
      given(events).when(approve({ stepUp: true })).then([{ type: 'ExportApproved', data: decision }]);
    });

    it('refuses to approve an export that did not need approval or was decided already', () => {
      given(requested()).when(approve()).thenFails(ExportErrorCode.NotPendingApproval);
      given([...pending(), { type: 'ExportRejected', data: decision }]).when(approve()).thenFails(ExportErrorCode.NotPendingApproval);
    });

    it('rejects without a step-up proof', () => {
      given(pending({ clearFields: ['mobile'] }))
        .when({ type: 'RejectExport', data: { approverId: approver, authority: 'security_officer', comment: 'no', now } })
        .then([{ type: 'ExportRejected', data: { ...decision, comment: 'no' } }]);
    });
  });

  describe('expiring', () => {
    it('expires an undecided approval request once it is due, and not before', () => {
      given(pending())
        .when({ type: 'ExpireExport', data: { stage: 'approval', now: later } })
        .then([{ type: 'ExportExpired', data: { exportId, requesterId: requester, stage: 'approval' } }]);
      given(pending()).when({ type: 'ExpireExport', data: { stage: 'approval', now } }).then([]);
    });

    it('expires a completed file that was not downloaded', () => {
      const completed: ExportEvent[] = [
        ...requested(),
        { type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 1 } },
        {
          type: 'ExportCompleted',
          data: { exportId, requesterId: requester, rowCount: 1, fields: ['name'], clearFields: [], bytes: 10, fingerprintId: 'fp-1', sha256: 'a'.repeat(64) },
        },
      ];
      given(completed)
        .when({ type: 'ExpireExport', data: { stage: 'file', now } })
        .then([{ type: 'ExportExpired', data: { exportId, requesterId: requester, stage: 'file' } }]);
    });
  });

  describe('generating', () => {
    const started: ExportEvent[] = [...requested(), { type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 1 } }];

    it('starts a queued export, not one awaiting approval', () => {
      given(requested())
        .when({ type: 'StartGeneration', data: { attempt: 1 } })
        .then([{ type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 1 } }]);
      given(pending()).when({ type: 'StartGeneration', data: { attempt: 1 } }).thenFails(ExportErrorCode.NotRunnable);
    });

    it('re-runs an interrupted generation as a new attempt, never the same one twice', () => {
      given(started)
        .when({ type: 'StartGeneration', data: { attempt: 2 } })
        .then([{ type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 2 } }]);
      given(started).when({ type: 'StartGeneration', data: { attempt: 1 } }).thenFails(ExportErrorCode.NotRunnable);
    });

    it('completes only the running attempt (a stale worker cannot complete)', () => {
      const result = { rowCount: 5, bytes: 100, fingerprintId: 'fp-x', sha256: 'b'.repeat(64) };
      given(started)
        .when({ type: 'CompleteExport', data: { attempt: 1, ...result } })
        .then([{ type: 'ExportCompleted', data: { exportId, requesterId: requester, fields: ['name', 'mobile'], clearFields: [], ...result } }]);
      given([...started, { type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 2 } }])
        .when({ type: 'CompleteExport', data: { attempt: 1, ...result } })
        .thenFails(ExportErrorCode.NotRunning);
    });

    it('records progress only while running', () => {
      given(started)
        .when({ type: 'RecordProgress', data: { attempt: 1, rowsDone: 10, rowsTotal: 20 } })
        .then([{ type: 'ExportProgressed', data: { exportId, rowsDone: 10, rowsTotal: 20 } }]);
      given(requested()).when({ type: 'RecordProgress', data: { attempt: 1, rowsDone: 1, rowsTotal: 2 } }).thenFails(ExportErrorCode.NotRunning);
    });

    it("refuses a superseded attempt's progress (a stale worker after a re-run)", () => {
      given([...started, { type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 2 } }])
        .when({ type: 'RecordProgress', data: { attempt: 1, rowsDone: 10, rowsTotal: 20 } })
        .thenFails(ExportErrorCode.NotRunning);
    });
  });

  describe('downloading and cancelling', () => {
    const completed: ExportEvent[] = [
      ...requested(),
      { type: 'ExportStarted', data: { exportId, requesterId: requester, attempt: 1 } },
      {
        type: 'ExportCompleted',
        data: { exportId, requesterId: requester, rowCount: 1, fields: ['name'], clearFields: [], bytes: 10, fingerprintId: 'fp-1', sha256: 'a'.repeat(64) },
      },
    ];
    const download = { ip: '203.0.113.9', userAgent: 'curl', deviceId: null, geo: null, bytes: 10 };

    it('records one download, and refuses a second', () => {
      given(completed).when({ type: 'RecordDownload', data: download }).then([
        { type: 'ExportDownloaded', data: { exportId, requesterId: requester, ...download } },
      ]);
      given([...completed, { type: 'ExportDownloaded', data: { exportId, requesterId: requester, ...download } }])
        .when({ type: 'RecordDownload', data: download })
        .thenFails(ExportErrorCode.FileGone);
    });

    it('cancels a pending, queued, running or completed export, not a finished one', () => {
      const cancel: ExportCommand = { type: 'CancelExport', data: { cancelledBy: 'system:offboarding', canceller: 'offboarding', reason: 'leaver' } };
      const cancelled = { type: 'ExportCancelled' as const, data: { exportId, requesterId: requester, cancelledBy: 'system:offboarding', canceller: 'offboarding' as const, reason: 'leaver' } };
      for (const history of [pending(), requested(), completed.slice(0, 2), completed]) given(history).when(cancel).then([cancelled]);
      given([...completed, cancelled]).when(cancel).thenFails(ExportErrorCode.NotCancellable);
    });
  });
});
