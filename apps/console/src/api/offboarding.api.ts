import type { ApiClient, DownloadedFile } from './api-client';
import type { Page } from './authorization.api';

export const OFFBOARDING_STATUSES = [
  'scheduled',
  'in_progress',
  'needs_attention',
  'completed',
  'cancelled',
] as const;
export type OffboardingStatus = (typeof OFFBOARDING_STATUSES)[number];
export const OFFBOARDING_STEPS = ['markDeparting', 'freeze', 'handover', 'report'] as const;
export type OffboardingStep = (typeof OFFBOARDING_STEPS)[number];
export type StepStatus = 'pending' | 'in_progress' | 'retrying' | 'needs_attention' | 'done' | 'skipped';

export type StepView = {
  step: OffboardingStep | string;
  status: StepStatus | string;
  startedAt: string | null;
  completedAt: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  counts: Record<string, number | string | null>;
};

/** A case with every step (`GET /v1/offboardings/:id`). */
export type OffboardingCase = {
  id: string;
  userId: string;
  successorId: string | null;
  successorPoolId: string | null;
  source: string;
  reason: string;
  notes: string | null;
  status: OffboardingStatus | string;
  effectiveAt: string;
  requestedAt: string;
  requestedBy: string;
  tookEffectAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  attention: { step: string; reason: string; attempts: number } | null;
  steps: StepView[];
  exportsCancelled: number;
  report: { reportId: string; links: Record<'json' | 'csv' | 'html', string> } | null;
  version: number;
};

/** A case in the list (`GET /v1/offboardings`). */
export type OffboardingSummary = {
  id: string;
  userId: string;
  successorId: string | null;
  successorPoolId: string | null;
  source: string;
  status: OffboardingStatus | string;
  step: string | null;
  effectiveAt: string;
  tookEffectAt: string | null;
  completedAt: string | null;
  handover: { done: number; total: number };
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
};

export type OffboardingRequest = {
  userId: string;
  successorId?: string;
  successorPoolId?: string;
  effectiveAt?: string;
  reason: string;
  notes?: string;
};

export type OffboardingAccepted = { id: string; status: string; effectiveAt: string };

const one = (id: string) => `/v1/offboardings/${encodeURIComponent(id)}`;

/** The offboarding service's API as the console uses it (HR, admins). */
export const offboardingApi = (api: ApiClient) => ({
  request: (body: OffboardingRequest) =>
    api.request<OffboardingAccepted>('offboarding', '/v1/offboardings', { body }),
  list: (query: { status?: string; userId?: string; cursor?: string } = {}) =>
    api.request<Page<OffboardingSummary>>('offboarding', '/v1/offboardings', {
      query: { limit: 50, ...query },
    }),
  get: (id: string) => api.request<OffboardingCase>('offboarding', one(id)),
  cancel: (id: string, reason?: string) =>
    api.request<OffboardingCase>('offboarding', `${one(id)}/cancel`, { body: reason ? { reason } : {} }),
  retry: (id: string) => api.request<OffboardingCase>('offboarding', `${one(id)}/retry`, { method: 'POST' }),
  /** The leaver report as HTML (static, shown in a sandboxed frame) or a CSV / JSON file. */
  reportHtml: async (id: string): Promise<string> => {
    const file = await api.download('offboarding', `${one(id)}/report`, {
      query: { format: 'html' },
      fallbackName: `leaver-report-${id}.html`,
    });
    return file.blob.text();
  },
  reportFile: (id: string, format: 'json' | 'csv'): Promise<DownloadedFile> =>
    api.download('offboarding', `${one(id)}/report`, {
      query: { format },
      fallbackName: `leaver-report-${id}.${format}`,
    }),
});
export type OffboardingApi = ReturnType<typeof offboardingApi>;
