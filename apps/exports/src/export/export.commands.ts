import type { ApprovalReason, ExportFormat, EXPORT_CANCELLERS } from '@warden/contracts';

type Geo = { country: string | null; city: string | null; asn: number | null } | null;

/** Who may approve: decided by the service from the directory and the verified token. */
export type ApproverAuthority = 'security_officer' | 'supervisor' | null;

export type RequestExport = {
  type: 'RequestExport';
  data: {
    exportId: string;
    requesterId: string;
    teamId: string | null;
    /** Sensitive filter values already masked. */
    filter: Record<string, unknown>;
    fields: string[];
    clearFields: string[];
    format: ExportFormat;
    reason: string;
    estimatedRows: number;
    geo: Geo;
    /** The policy's verdict; empty: the export runs at once. */
    approvalReasons: ApprovalReason[];
    approvalExpiresAt: string;
  };
};

export type ApproveExport = {
  type: 'ApproveExport';
  data: { approverId: string; authority: ApproverAuthority; stepUp: boolean; comment: string | null; now: string };
};

export type RejectExport = {
  type: 'RejectExport';
  data: { approverId: string; authority: ApproverAuthority; comment: string | null; now: string };
};

export type StartGeneration = { type: 'StartGeneration'; data: { attempt: number } };

/** `attempt`: the generation reporting; a stale worker's (superseded attempt's) progress is refused. */
export type RecordProgress = { type: 'RecordProgress'; data: { attempt: number; rowsDone: number; rowsTotal: number } };

export type CompleteExport = {
  type: 'CompleteExport';
  data: { attempt: number; rowCount: number; bytes: number; fingerprintId: string; sha256: string };
};

export type FailExport = { type: 'FailExport'; data: { error: string } };

export type RecordDownload = {
  type: 'RecordDownload';
  data: {
    ip: string | null;
    userAgent: string | null;
    deviceId: string | null;
    geo: Geo;
    bytes: number;
  };
};

export type CancelExport = {
  type: 'CancelExport';
  data: { cancelledBy: string; canceller: (typeof EXPORT_CANCELLERS)[number]; reason: string | null };
};

/** Approval not decided in time, or a file not downloaded within retention. */
export type ExpireExport = { type: 'ExpireExport'; data: { stage: 'approval' | 'file'; now: string } };

export type ExportCommand =
  | RequestExport
  | ApproveExport
  | RejectExport
  | StartGeneration
  | RecordProgress
  | CompleteExport
  | FailExport
  | RecordDownload
  | CancelExport
  | ExpireExport;
