import type { EventEnvelope, OffboardingEvent, OffboardingStep } from '@warden/contracts';

export type StepStatus = 'pending' | 'in_progress' | 'retrying' | 'needs_attention' | 'done' | 'skipped';

export type StepView = {
  step: OffboardingStep;
  status: StepStatus;
  startedAt: string | null;
  completedAt: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  counts: Record<string, number | string | null>;
};

export type CaseView = {
  id: string;
  userId: string;
  successorId: string | null;
  successorPoolId: string | null;
  source: string;
  reason: string;
  notes: string | null;
  status: string;
  effectiveAt: string;
  requestedAt: string;
  requestedBy: string;
  tookEffectAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  attention: { step: OffboardingStep; reason: string; attempts: number } | null;
  steps: StepView[];
  exportsCancelled: number;
  report: { reportId: string; links: Record<'json' | 'csv' | 'html', string> } | null;
  version: number;
};

const emptyStep = (step: OffboardingStep): StepView => ({
  step,
  status: 'pending',
  startedAt: null,
  completedAt: null,
  attempts: 0,
  lastError: null,
  nextAttemptAt: null,
  counts: {},
});

/** Pure: a case with every step's status, counts, timestamps and errors, from its events. */
export function caseView(envelopes: readonly EventEnvelope[], exportsCancelled = 0): CaseView | null {
  const first = envelopes[0];
  if (!first || first.type !== 'OffboardingRequested') return null;
  const steps = new Map<OffboardingStep, StepView>(
    (['markDeparting', 'freeze', 'handover', 'report'] as const).map((s) => [s, emptyStep(s)]),
  );
  const step = (name: OffboardingStep) => steps.get(name) as StepView;
  let view: CaseView | null = null;
  for (const envelope of envelopes) {
    const at = envelope.occurredAt;
    const event = { type: envelope.type, data: envelope.data } as OffboardingEvent;
    if (event.type === 'OffboardingRequested') {
      const d = event.data;
      view = {
        id: d.caseId,
        userId: d.userId,
        successorId: d.successorId,
        successorPoolId: d.successorPoolId,
        source: d.source,
        reason: d.reason,
        notes: d.notes,
        status: 'scheduled',
        effectiveAt: d.effectiveAt,
        requestedAt: at,
        requestedBy: d.requestedBy,
        tookEffectAt: null,
        completedAt: null,
        cancelledAt: null,
        attention: null,
        steps: [],
        exportsCancelled,
        report: null,
        version: envelope.streamVersion,
      };
      continue;
    }
    if (!view) continue;
    view.version = envelope.streamVersion;
    switch (event.type) {
      case 'OffboardingScheduled':
        Object.assign(step('markDeparting'), { status: 'in_progress', startedAt: at });
        break;
      case 'UserMarkedDepartingRecorded':
        Object.assign(step('markDeparting'), { status: 'done', completedAt: at, nextAttemptAt: null });
        delete step('markDeparting').counts.awaiting;
        break;
      case 'OffboardingTookEffect':
        view.status = 'in_progress';
        view.tookEffectAt = at;
        if (step('markDeparting').status !== 'done') Object.assign(step('markDeparting'), { status: 'skipped', nextAttemptAt: null });
        Object.assign(step('freeze'), { status: 'in_progress', startedAt: at });
        break;
      case 'AccessFrozen':
        Object.assign(step('freeze'), {
          status: 'done',
          completedAt: at,
          nextAttemptAt: null,
          counts: { sessionsRevoked: event.data.sessionsRevoked, grantsRevoked: event.data.grantsRevoked, exportsCancelled },
        });
        Object.assign(step('handover'), { status: 'in_progress', startedAt: at });
        break;
      case 'HandoverStarted':
        step('handover').counts = { transferId: event.data.transferId, successorId: event.data.successorId, done: 0, total: 0 };
        if (event.data.successorPoolUserIds) step('handover').counts.poolMembers = event.data.successorPoolUserIds.length;
        view.successorId = event.data.successorId;
        break;
      case 'HandoverProgressed':
        Object.assign(step('handover').counts, { done: event.data.done, total: event.data.total });
        if (step('handover').status === 'retrying') step('handover').status = 'in_progress';
        break;
      case 'HandoverCompleted':
        Object.assign(step('handover'), { status: 'done', completedAt: at, nextAttemptAt: null });
        Object.assign(step('handover').counts, { done: event.data.count, total: event.data.count, customersTransferred: event.data.count });
        Object.assign(step('report'), { status: 'in_progress', startedAt: at });
        break;
      case 'ReportGenerated':
        Object.assign(step('report'), { status: 'done', completedAt: at, nextAttemptAt: null, counts: { ...event.data.summary } });
        view.report = {
          reportId: event.data.reportId,
          links: Object.fromEntries(
            (['json', 'csv', 'html'] as const).map((f) => [f, `/v1/offboardings/${view?.id}/report?format=${f}`]),
          ) as Record<'json' | 'csv' | 'html', string>,
        };
        break;
      case 'LeaverReportReady':
        break;
      case 'OffboardingCompleted':
        view.status = 'completed';
        view.completedAt = at;
        break;
      case 'OffboardingCancelled':
        view.status = 'cancelled';
        view.cancelledAt = at;
        if (step('markDeparting').status === 'in_progress') step('markDeparting').status = 'skipped';
        break;
      case 'OffboardingStepFailed':
        Object.assign(step(event.data.step), {
          status: 'retrying',
          attempts: event.data.attempt,
          lastError: event.data.error,
          nextAttemptAt: event.data.nextAttemptAt,
        });
        break;
      case 'OffboardingNeedsAttention':
        view.status = 'needs_attention';
        view.attention = { step: event.data.step, reason: event.data.reason, attempts: event.data.attempts };
        Object.assign(step(event.data.step), { status: 'needs_attention', nextAttemptAt: null });
        break;
      case 'OffboardingStepRetried':
        view.status = view.tookEffectAt ? 'in_progress' : 'scheduled';
        view.attention = null;
        Object.assign(step(event.data.step), { status: 'in_progress', attempts: 0 });
        break;
      case 'OffboardingStepStarted': {
        const current = step(event.data.step);
        Object.assign(current, { status: current.status === 'retrying' ? 'retrying' : 'in_progress', startedAt: current.startedAt ?? at });
        current.counts.awaiting = event.data.commands.map((c) => c.command).join(', ');
        break;
      }
      case 'OffboardingCommandAnswered': {
        const current = step(event.data.step);
        const awaiting = String(current.counts.awaiting ?? '')
          .split(', ')
          .filter((name) => name && name !== event.data.command);
        current.counts.awaiting = awaiting.length ? awaiting.join(', ') : null;
        break;
      }
      default: {
        const unknown: never = event;
        throw new Error(`case view: unhandled event ${(unknown as OffboardingEvent).type}`);
      }
    }
  }
  if (view) view.steps = [...steps.values()];
  return view;
}
