import type { ApiClient, DownloadedFile } from './api-client';

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The customer fields an export may hold (the exports service adds `id` first). */
export const EXPORTABLE_FIELDS = [
  'name',
  'company',
  'tags',
  'classification',
  'ownerId',
  'teamId',
  'mobile',
  'email',
  'nationalId',
  'address',
  'status',
  'version',
  'createdAt',
  'updatedAt',
] as const;
export type ExportableField = (typeof EXPORTABLE_FIELDS)[number];

/** The customer filter of an export: the same fields as the customer search (`GET /v1/customers`). */
export type ExportFilter = {
  q?: string;
  tags?: string[];
  ownerId?: string;
  teamId?: string;
  classification?: string;
  status?: 'active' | 'archived';
  mobile?: string;
  email?: string;
  nationalId?: string;
};

export type ExportRequest = {
  filter: ExportFilter;
  fields: ExportableField[];
  clearFields: Array<'mobile' | 'email' | 'nationalId' | 'address'>;
  format: ExportFormat;
  reason: string;
};

export type ExportStatus =
  | 'pending_approval'
  | 'queued'
  | 'running'
  | 'completed'
  | 'downloaded'
  | 'rejected'
  | 'cancelled'
  | 'expired'
  | 'failed';

/** An export as the exports service shows it. */
export type ExportView = {
  id: string;
  status: ExportStatus | string;
  requesterId: string;
  /** The requester's display name and username as the exports directory knows them (lists and single views). */
  requesterName?: string | null;
  requesterUsername?: string | null;
  teamId: string | null;
  format: string;
  fields: string[];
  clearFields: string[];
  filter: Record<string, unknown>;
  reason: string;
  estimatedRows: number;
  approvalRequired: boolean;
  approvalReasons: string[];
  approvalExpiresAt: string | null;
  approverId: string | null;
  decisionComment: string | null;
  progress: { rowsDone: number; rowsTotal: number };
  rowCount: number | null;
  bytes: number | null;
  createdAt: string;
  decidedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  downloadedAt: string | null;
  cancelledAt: string | null;
  /** For approvers and oversight roles: the requester's last exports. */
  requesterHistory?: ExportView[];
};

export type DownloadLink = { token: string; url: string; expiresAt: string };

const one = (id: string) => `/v1/exports/${encodeURIComponent(id)}`;

/** The exports service's API as the console uses it. */
export const exportsApi = (api: ApiClient) => ({
  request: (body: ExportRequest) => api.request<ExportView>('exports', '/v1/exports', { body }),
  mine: () => api.request<ExportView[]>('exports', '/v1/exports', { query: { scope: 'mine', limit: 100 } }),
  awaitingMe: () =>
    api.request<ExportView[]>('exports', '/v1/exports', { query: { scope: 'approvals', limit: 100 } }),
  get: (id: string) => api.request<ExportView>('exports', one(id)),
  approve: (id: string, body: { comment: string | null; stepUpToken?: string }) =>
    api.request<ExportView>('exports', `${one(id)}/approve`, { body }),
  reject: (id: string, comment: string | null) =>
    api.request<ExportView>('exports', `${one(id)}/reject`, { body: { comment } }),
  cancel: (id: string, reason: string | null) =>
    api.request<ExportView>('exports', `${one(id)}/cancel`, { body: { reason } }),
  /** A one-time link (15 minutes) for the requester. */
  createLink: (id: string) =>
    api.request<DownloadLink>('exports', `${one(id)}/download-link`, { method: 'POST' }),
  /** The file, once: a second use of the same token is refused (410). */
  download: (id: string, token: string, format: string): Promise<DownloadedFile> =>
    api.download('exports', `${one(id)}/download`, {
      query: { token },
      fallbackName: `export-${id}.${format}`,
    }),
});
export type ExportsApi = ReturnType<typeof exportsApi>;
