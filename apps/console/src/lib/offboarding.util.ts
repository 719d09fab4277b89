import { z } from 'zod';
import type {
  OffboardingCase,
  OffboardingRequest,
  OffboardingSummary,
  StepView,
} from '../api/offboarding.api';
import { validate, type FieldErrors } from './validation.util';

export function caseStatusDisplay(status: string): { label: string; color: string } {
  switch (status) {
    case 'scheduled':
      return { label: 'scheduled', color: 'blue' };
    case 'in_progress':
      return { label: 'in progress', color: 'indigo' };
    case 'needs_attention':
      return { label: 'needs attention', color: 'red' };
    case 'completed':
      return { label: 'completed', color: 'green' };
    case 'cancelled':
      return { label: 'cancelled', color: 'gray' };
    default:
      return { label: status.replace(/_/g, ' '), color: 'gray' };
  }
}

const STEP_LABELS: Record<string, string> = {
  markDeparting: 'Mark as departing',
  freeze: 'Freeze access',
  handover: 'Hand over customers',
  report: 'Leaver report',
};
export const stepLabel = (step: string): string => STEP_LABELS[step] ?? step;

export function stepStatusDisplay(status: string): { label: string; color: string } {
  switch (status) {
    case 'pending':
      return { label: 'waiting', color: 'gray' };
    case 'in_progress':
      return { label: 'in progress', color: 'indigo' };
    case 'retrying':
      return { label: 'retrying', color: 'orange' };
    case 'needs_attention':
      return { label: 'needs attention', color: 'red' };
    case 'done':
      return { label: 'done', color: 'green' };
    case 'skipped':
      return { label: 'not needed', color: 'gray' };
    default:
      return { label: status.replace(/_/g, ' '), color: 'gray' };
  }
}

/** How far one step is, 0–1: a hand-over in progress counts the customers already transferred. */
function stepFraction(step: StepView): number {
  if (step.status === 'done' || step.status === 'skipped') return 1;
  if (step.step === 'handover') {
    const done = Number(step.counts.done ?? 0);
    const total = Number(step.counts.total ?? 0);
    if (total > 0 && done >= 0) return Math.min(done / total, 1) * 0.95;
  }
  return 0;
}

/** The case's progress in percent: the share of its four steps done (100 once completed). */
export function caseProgress(c: Pick<OffboardingCase, 'status' | 'steps'>): number {
  if (c.status === 'completed') return 100;
  if (c.steps.length === 0) return 0;
  const sum = c.steps.reduce((acc, step) => acc + stepFraction(step), 0);
  return Math.min(99, Math.round((sum / c.steps.length) * 100));
}

const STEP_ORDER = ['markDeparting', 'freeze', 'handover', 'report'];

/** The progress of a case in the list (its current step and the hand-over counts). */
export function summaryProgress(s: Pick<OffboardingSummary, 'status' | 'step' | 'handover'>): number {
  if (s.status === 'completed') return 100;
  if (s.status === 'scheduled' || !s.step) return 0;
  const index = STEP_ORDER.indexOf(s.step);
  if (index === -1) return 0;
  const within =
    s.step === 'handover' && s.handover.total > 0
      ? Math.min(s.handover.done / s.handover.total, 1) * 0.95
      : 0;
  return Math.min(99, Math.round(((index + within) / STEP_ORDER.length) * 100));
}

/** How often to look at a case again: fast while its steps run, slowly while it waits, not at all when it is over. */
export function casePollInterval(status: string | undefined): number | false {
  switch (status) {
    case 'in_progress':
      return 1500;
    case 'scheduled':
    case 'needs_attention':
      return 5000;
    case 'completed':
    case 'cancelled':
      return false;
    default:
      return 3000;
  }
}

/** A case may be cancelled until it takes effect (the service answers 409 after). */
export const canCancel = (c: Pick<OffboardingCase, 'status' | 'tookEffectAt'>): boolean =>
  c.tookEffectAt === null && (c.status === 'scheduled' || c.status === 'needs_attention');

/** Only a case that needs attention can be retried (its failed step runs again). */
export const canRetry = (c: Pick<OffboardingCase, 'status'>): boolean => c.status === 'needs_attention';

const number = (value: unknown): string =>
  typeof value === 'number' ? value.toLocaleString('en') : String(value ?? 0);

/** A step's counts in words: `2 sessions ended, 1 grant revoked`, `400 of 1,000 customers`. */
export function stepCountsText(step: StepView): string {
  const c = step.counts;
  const plural = (n: unknown, one: string, many: string) => `${number(n)} ${Number(n) === 1 ? one : many}`;
  if (step.step === 'freeze' && 'sessionsRevoked' in c) {
    return [
      `${plural(c.sessionsRevoked, 'session', 'sessions')} ended`,
      `${plural(c.grantsRevoked, 'grant', 'grants')} revoked`,
      `${plural(c.exportsCancelled, 'export', 'exports')} cancelled`,
    ].join(', ');
  }
  if (step.step === 'handover' && 'total' in c) {
    const done = Number(c.done ?? 0);
    const total = Number(c.total ?? 0);
    if (step.status === 'done')
      return `${plural(c.customersTransferred ?? total, 'customer', 'customers')} transferred`;
    return total > 0
      ? `${number(done)} of ${plural(total, 'customer', 'customers')} transferred`
      : 'starting';
  }
  const entries = Object.entries(c).filter(([, v]) => typeof v === 'number');
  return entries
    .map(([k, v]) => `${k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}: ${number(v)}`)
    .join(', ');
}

const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value.trim());

/** The start-an-offboarding form as typed. `effectiveAt` is a `datetime-local` value (local time) or empty for now. */
export type OffboardingForm = {
  userId: string;
  successorKind: 'user' | 'team';
  successorId: string;
  effectiveAt: string;
  reason: string;
  notes: string;
};

const offboardingFormSchema = (now: Date) =>
  z
    .object({
      userId: z.string().trim().refine(isUuid, 'Choose the person who is leaving'),
      successorKind: z.enum(['user', 'team']),
      successorId: z.string().trim().refine(isUuid, 'Choose who takes over their customers'),
      effectiveAt: z
        .string()
        .trim()
        .refine((v) => v === '' || !Number.isNaN(new Date(v).getTime()), 'Choose a valid date and time')
        .refine(
          (v) => v === '' || new Date(v).getTime() - now.getTime() <= MAX_AHEAD_MS,
          'The date may be at most a year ahead',
        ),
      reason: z.string().trim().min(1, 'Say why the person is leaving').max(500, 'At most 500 characters'),
      notes: z.string().trim().max(2000, 'At most 2000 characters'),
    })
    .refine((f) => f.successorKind === 'team' || f.successorId.trim() !== f.userId.trim(), {
      message: 'The successor cannot be the person who is leaving',
      path: ['successorId'],
    });

/**
 * The `POST /v1/offboardings` body of the form, or each field's problem. An empty date (or one in
 * the past) means now: the service freezes access at once.
 */
export function offboardingRequestOf(
  form: OffboardingForm,
  now: Date,
): { ok: true; body: OffboardingRequest; immediate: boolean } | { ok: false; errors: FieldErrors } {
  const result = validate(offboardingFormSchema(now), form);
  if (!result.ok) return result;
  const f = result.value;
  const at = f.effectiveAt ? new Date(f.effectiveAt) : null;
  const immediate = !at || at.getTime() <= now.getTime();
  const body: OffboardingRequest = {
    userId: f.userId.trim(),
    reason: f.reason.trim(),
    ...(f.successorKind === 'user'
      ? { successorId: f.successorId.trim() }
      : { successorPoolId: f.successorId.trim() }),
    ...(at && !immediate ? { effectiveAt: at.toISOString() } : {}),
    ...(f.notes.trim() ? { notes: f.notes.trim() } : {}),
  };
  return { ok: true, body, immediate };
}
