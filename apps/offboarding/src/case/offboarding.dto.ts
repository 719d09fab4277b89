import { z } from 'zod';

const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000;

export const requestOffboardingBody = z
  .strictObject({
    userId: z.uuid({ message: 'must be a user id (UUID)' }),
    successorId: z.uuid({ message: 'must be a user id (UUID)' }).optional(),
    successorPoolId: z.uuid({ message: 'must be a team id (UUID)' }).optional(),
    /** Default: now. A date in the past means now. */
    effectiveAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time with offset' })
      .refine((value) => Date.parse(value) - Date.now() <= MAX_AHEAD_MS, 'must be at most a year ahead')
      .optional(),
    reason: z.string().trim().min(1, 'must not be empty').max(500),
    notes: z.string().trim().max(2000).optional(),
  })
  .refine((b) => (b.successorId === undefined) !== (b.successorPoolId === undefined), {
    message: 'name exactly one of successorId and successorPoolId',
    path: ['successorId'],
  });
export type RequestOffboardingBody = z.infer<typeof requestOffboardingBody>;

export const CASE_STATUSES = ['scheduled', 'in_progress', 'needs_attention', 'completed', 'cancelled'] as const;

export const listOffboardingsQuery = z.strictObject({
  status: z.enum(CASE_STATUSES).optional(),
  userId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid({ message: 'must be the nextCursor of a previous page' }).optional(),
});
export type ListOffboardingsQuery = z.infer<typeof listOffboardingsQuery>;

export const cancelOffboardingBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export type CancelOffboardingBody = z.infer<typeof cancelOffboardingBody>;

export const caseIdParam = z.uuid({ message: 'must be an offboarding case id (UUID)' });

export const reportQuery = z.strictObject({ format: z.enum(['json', 'csv', 'html']).default('json') });
export type ReportQuery = z.infer<typeof reportQuery>;

export type CaseSummaryView = {
  id: string;
  userId: string;
  successorId: string | null;
  successorPoolId: string | null;
  source: string;
  status: string;
  step: string | null;
  effectiveAt: string;
  tookEffectAt: string | null;
  completedAt: string | null;
  handover: { done: number; total: number };
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
};

export type CaseAccepted = { id: string; status: string; effectiveAt: string; links: { self: string } };
