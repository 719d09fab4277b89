import type { OffboardingCase, StepView } from '../api/offboarding.api';
import {
  canCancel,
  canRetry,
  caseProgress,
  casePollInterval,
  caseStatusDisplay,
  offboardingRequestOf,
  stepCountsText,
  stepLabel,
  stepStatusDisplay,
  summaryProgress,
  type OffboardingForm,
} from './offboarding.util';

const step = (name: string, status: string, counts: StepView['counts'] = {}): StepView => ({
  step: name,
  status,
  startedAt: null,
  completedAt: null,
  attempts: 0,
  lastError: null,
  nextAttemptAt: null,
  counts,
});

describe('offboarding display', () => {
  it('names statuses and steps', () => {
    expect(caseStatusDisplay('needs_attention')).toEqual({ label: 'needs attention', color: 'red' });
    expect(caseStatusDisplay('odd_one').label).toBe('odd one');
    expect(stepLabel('handover')).toBe('Hand over customers');
    expect(stepStatusDisplay('skipped').label).toBe('not needed');
  });

  it('describes the counts of each step in words', () => {
    expect(
      stepCountsText(step('freeze', 'done', { sessionsRevoked: 1, grantsRevoked: 2, exportsCancelled: 0 })),
    ).toBe('1 session ended, 2 grants revoked, 0 exports cancelled');
    expect(stepCountsText(step('handover', 'in_progress', { done: 400, total: 1000, transferId: 'x' }))).toBe(
      '400 of 1,000 customers transferred',
    );
    expect(stepCountsText(step('handover', 'in_progress', { done: 0, total: 0 }))).toBe('starting');
    expect(stepCountsText(step('handover', 'done', { done: 3, total: 3, customersTransferred: 3 }))).toBe(
      '3 customers transferred',
    );
    expect(stepCountsText(step('report', 'done', { logins: 2, customersViewed: 5, reportId: 'r' }))).toBe(
      'logins: 2, customers viewed: 5',
    );
  });
});

describe('progress', () => {
  it('counts done and skipped steps, and the customers handed over so far', () => {
    const steps = [
      step('markDeparting', 'skipped'),
      step('freeze', 'done'),
      step('handover', 'in_progress', { done: 50, total: 100 }),
      step('report', 'pending'),
    ];
    expect(caseProgress({ status: 'in_progress', steps })).toBe(62);
    expect(caseProgress({ status: 'completed', steps })).toBe(100);
    expect(
      caseProgress({
        status: 'scheduled',
        steps: steps.map((s) => ({ ...s, status: 'pending', counts: {} })),
      }),
    ).toBe(0);
    expect(caseProgress({ status: 'in_progress', steps: steps.map((s) => ({ ...s, status: 'done' })) })).toBe(
      99,
    );
  });

  it('estimates the progress of a listed case from its current step', () => {
    expect(
      summaryProgress({ status: 'in_progress', step: 'handover', handover: { done: 1, total: 2 } }),
    ).toBe(62);
    expect(summaryProgress({ status: 'in_progress', step: 'freeze', handover: { done: 0, total: 0 } })).toBe(
      25,
    );
    expect(
      summaryProgress({ status: 'scheduled', step: 'markDeparting', handover: { done: 0, total: 0 } }),
    ).toBe(0);
    expect(summaryProgress({ status: 'completed', step: null, handover: { done: 0, total: 0 } })).toBe(100);
  });

  it('polls fast while steps run, slowly while waiting, never once the case is over', () => {
    expect(
      ['in_progress', 'scheduled', 'needs_attention', 'completed', 'cancelled', undefined].map(
        casePollInterval,
      ),
    ).toEqual([1500, 5000, 5000, false, false, 3000]);
  });

  it('offers cancel only before the case takes effect, retry only when it needs attention', () => {
    expect(canCancel({ status: 'scheduled', tookEffectAt: null })).toBe(true);
    expect(canCancel({ status: 'needs_attention', tookEffectAt: null })).toBe(true);
    expect(canCancel({ status: 'needs_attention', tookEffectAt: '2030-01-01T00:00:00Z' })).toBe(false);
    expect(
      canCancel({ status: 'completed', tookEffectAt: null } as Pick<
        OffboardingCase,
        'status' | 'tookEffectAt'
      >),
    ).toBe(false);
    expect(canRetry({ status: 'needs_attention' })).toBe(true);
    expect(canRetry({ status: 'in_progress' })).toBe(false);
  });
});

describe('offboardingRequestOf', () => {
  const leaver = '11111111-1111-4111-8111-111111111111';
  const successor = '22222222-2222-4222-8222-222222222222';
  const now = new Date('2030-01-01T12:00:00Z');
  const form = (over: Partial<OffboardingForm> = {}): OffboardingForm => ({
    userId: leaver,
    successorKind: 'user',
    successorId: successor,
    effectiveAt: '',
    reason: ' Resigned ',
    notes: '',
    ...over,
  });

  it('builds the request: now when no date, a future date as ISO, a team as successor pool', () => {
    expect(offboardingRequestOf(form(), now)).toEqual({
      ok: true,
      immediate: true,
      body: { userId: leaver, successorId: successor, reason: 'Resigned' },
    });
    const later = offboardingRequestOf(
      form({ effectiveAt: '2030-01-15T09:30:00Z', notes: ' laptop returned ' }),
      now,
    );
    expect(later).toEqual({
      ok: true,
      immediate: false,
      body: {
        userId: leaver,
        successorId: successor,
        reason: 'Resigned',
        effectiveAt: '2030-01-15T09:30:00.000Z',
        notes: 'laptop returned',
      },
    });
    expect(offboardingRequestOf(form({ effectiveAt: '2029-12-01T00:00:00Z' }), now)).toMatchObject({
      immediate: true,
    });
    expect(offboardingRequestOf(form({ successorKind: 'team' }), now)).toMatchObject({
      body: { successorPoolId: successor },
    });
  });

  it('names each problem of the form', () => {
    expect(
      offboardingRequestOf(
        form({ userId: 'bob', successorId: '', reason: ' ', effectiveAt: 'tomorrow' }),
        now,
      ),
    ).toEqual({
      ok: false,
      errors: {
        userId: 'Choose the person who is leaving',
        successorId: 'Choose who takes over their customers',
        effectiveAt: 'Choose a valid date and time',
        reason: 'Say why the person is leaving',
      },
    });
    expect(offboardingRequestOf(form({ successorId: leaver }), now)).toEqual({
      ok: false,
      errors: { successorId: 'The successor cannot be the person who is leaving' },
    });
    expect(offboardingRequestOf(form({ effectiveAt: '2031-06-01T00:00:00Z' }), now)).toEqual({
      ok: false,
      errors: { effectiveAt: 'The date may be at most a year ahead' },
    });
  });
});
