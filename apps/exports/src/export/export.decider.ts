import type { ExportEvent } from '@warden/contracts';
import type { ExportCommand } from './export.commands';
import { ExportError, ExportErrorCode } from './export.exception';

export type ExportStatus =
  | 'new'
  | 'pending_approval'
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'downloaded'
  | 'rejected'
  | 'cancelled'
  | 'expired';

export type ExportState = {
  status: ExportStatus;
  exportId: string;
  requesterId: string;
  clearFields: string[];
  fields: string[];
  approvalExpiresAt: string | null;
  attempt: number;
};

export const initialExportState: ExportState = {
  status: 'new',
  exportId: '',
  requesterId: '',
  clearFields: [],
  fields: [],
  approvalExpiresAt: null,
  attempt: 0,
};

/** Statuses in which an export can still be cancelled (and its file or links invalidated). */
export const CANCELLABLE: readonly ExportStatus[] = ['pending_approval', 'queued', 'running', 'completed'];

const fail = (code: ExportErrorCode, message: string): never => {
  throw new ExportError(code, message);
};

function requireExisting(state: ExportState): void {
  if (state.status === 'new') fail(ExportErrorCode.NotFound, 'export not found');
}

/** Pure: what a command produces given the export's state. Time arrives in the command. */
export function decide(command: ExportCommand, state: ExportState): ExportEvent[] {
  switch (command.type) {
    case 'RequestExport': {
      if (state.status !== 'new') fail(ExportErrorCode.AlreadyExists, `export ${command.data.exportId} exists`);
      const { approvalReasons, approvalExpiresAt, ...requested } = command.data;
      const events: ExportEvent[] = [{ type: 'ExportRequested', data: requested }];
      if (approvalReasons.length > 0) {
        events.push({
          type: 'ExportApprovalRequired',
          data: {
            exportId: requested.exportId,
            requesterId: requested.requesterId,
            reasons: approvalReasons,
            expiresAt: approvalExpiresAt,
          },
        });
      }
      return events;
    }
    case 'ApproveExport':
    case 'RejectExport': {
      requireExisting(state);
      const { approverId, authority, comment, now } = command.data;
      if (state.status !== 'pending_approval') {
        fail(ExportErrorCode.NotPendingApproval, `the export is ${state.status}, not awaiting approval`);
      }
      if (approverId === state.requesterId) fail(ExportErrorCode.SelfApproval, 'you may not decide on your own export');
      if (authority === null) {
        fail(ExportErrorCode.NotApprover, "only a supervisor of the requester's team or a security officer may decide");
      }
      if (state.approvalExpiresAt !== null && Date.parse(now) >= Date.parse(state.approvalExpiresAt)) {
        fail(ExportErrorCode.ApprovalExpired, 'the approval request has expired');
      }
      const data = { exportId: state.exportId, requesterId: state.requesterId, approverId, comment };
      if (command.type === 'RejectExport') return [{ type: 'ExportRejected', data }];
      if (state.clearFields.length > 0 && !command.data.stepUp) {
        fail(ExportErrorCode.StepUpRequired, 'approving sensitive fields in clear needs a fresh TOTP step-up proof');
      }
      return [{ type: 'ExportApproved', data }];
    }
    case 'StartGeneration': {
      requireExisting(state);
      if (state.status !== 'queued' && state.status !== 'running') {
        fail(ExportErrorCode.NotRunnable, `the export is ${state.status}`);
      }
      if (command.data.attempt <= state.attempt) {
        fail(ExportErrorCode.NotRunnable, `attempt ${command.data.attempt} is not after attempt ${state.attempt}`);
      }
      return [
        { type: 'ExportStarted', data: { exportId: state.exportId, requesterId: state.requesterId, attempt: command.data.attempt } },
      ];
    }
    case 'RecordProgress': {
      requireExisting(state);
      const { attempt, ...progress } = command.data;
      if (state.status !== 'running') fail(ExportErrorCode.NotRunning, `the export is ${state.status}`);
      if (attempt !== state.attempt) fail(ExportErrorCode.NotRunning, `attempt ${attempt} is not the running generation`);
      return [{ type: 'ExportProgressed', data: { exportId: state.exportId, ...progress } }];
    }
    case 'CompleteExport': {
      requireExisting(state);
      const { attempt, ...result } = command.data;
      if (state.status !== 'running' || attempt !== state.attempt) {
        fail(ExportErrorCode.NotRunning, `attempt ${attempt} is not the running generation`);
      }
      return [
        {
          type: 'ExportCompleted',
          data: {
            exportId: state.exportId,
            requesterId: state.requesterId,
            fields: state.fields,
            clearFields: state.clearFields,
            ...result,
          },
        },
      ];
    }
    case 'FailExport': {
      requireExisting(state);
      if (state.status !== 'running') fail(ExportErrorCode.NotRunning, `the export is ${state.status}`);
      return [{ type: 'ExportFailed', data: { exportId: state.exportId, requesterId: state.requesterId, ...command.data } }];
    }
    case 'RecordDownload': {
      requireExisting(state);
      if (state.status === 'downloaded') fail(ExportErrorCode.FileGone, 'the file was downloaded already');
      if (state.status !== 'completed') fail(ExportErrorCode.NotReady, `the export is ${state.status}`);
      return [{ type: 'ExportDownloaded', data: { exportId: state.exportId, requesterId: state.requesterId, ...command.data } }];
    }
    case 'CancelExport': {
      requireExisting(state);
      if (!CANCELLABLE.includes(state.status)) fail(ExportErrorCode.NotCancellable, `the export is ${state.status}`);
      return [{ type: 'ExportCancelled', data: { exportId: state.exportId, requesterId: state.requesterId, ...command.data } }];
    }
    case 'ExpireExport': {
      requireExisting(state);
      const { stage, now } = command.data;
      if (stage === 'approval') {
        const due = state.approvalExpiresAt !== null && Date.parse(now) >= Date.parse(state.approvalExpiresAt);
        if (state.status !== 'pending_approval' || !due) return [];
      } else if (state.status !== 'completed') {
        return [];
      }
      return [{ type: 'ExportExpired', data: { exportId: state.exportId, requesterId: state.requesterId, stage } }];
    }
    default: {
      const never: never = command;
      throw new Error(`unknown command ${(never as { type: string }).type}`);
    }
  }
}

export function evolve(state: ExportState, event: ExportEvent): ExportState {
  switch (event.type) {
    case 'ExportRequested':
      return {
        ...state,
        status: 'queued',
        exportId: event.data.exportId,
        requesterId: event.data.requesterId,
        fields: event.data.fields,
        clearFields: event.data.clearFields,
      };
    case 'ExportApprovalRequired':
      return { ...state, status: 'pending_approval', approvalExpiresAt: event.data.expiresAt };
    case 'ExportApproved':
      return { ...state, status: 'queued' };
    case 'ExportRejected':
      return { ...state, status: 'rejected' };
    case 'ExportStarted':
      return { ...state, status: 'running', attempt: event.data.attempt };
    case 'ExportProgressed':
      return state;
    case 'ExportCompleted':
      return { ...state, status: 'completed' };
    case 'ExportFailed':
      return { ...state, status: 'failed' };
    case 'ExportDownloaded':
      return { ...state, status: 'downloaded' };
    case 'ExportCancelled':
      return { ...state, status: 'cancelled' };
    case 'ExportExpired':
      return { ...state, status: 'expired' };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

export const exportDecider = { initialState: initialExportState, decide, evolve };
