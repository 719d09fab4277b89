import { Inject, Injectable, Logger } from '@nestjs/common';
import { offboardingStreamId, systemActor, WardenError, type EventEnvelope, type OffboardingStep } from '@warden/contracts';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { RevocationStore } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import type { OffboardingCommand } from '../case/offboarding.commands';
import { departureCancelReason, nextAction, offboardingDecider, type CaseState, type OpenCase } from '../case/offboarding.decider';
import type { OffboardingConfig } from '../core/config';
import { AuditClient, DirectoryClient } from '../core/directory.client';
import { buildReport } from '../report/leaver-report.util';
import { AnswersLagService } from './answers-lag.service';
import { CommandPublisher, derivedId } from './command.publisher';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.util';

/** A step failure no retry can fix: the case needs a person at once. */
export class PermanentStepError extends Error {}

/** Steps of one case taken in one visit at most (a visit normally ends by waiting). */
const MAX_STEPS_PER_VISIT = 8;

export const sagaMetadata = (caseId: string, now: Date, causationId: string | null = null): CommandMetadata => ({
  actor: systemActor('offboarding'),
  correlationId: caseId,
  causationId,
  now,
});

/** An error message for an event or the API: ours as written, anything else by its kind only. */
const describe = (error: unknown): string => {
  if (error instanceof WardenError || error instanceof PermanentStepError) return error.message.slice(0, 1000);
  return `unexpected error (${(error as Error)?.name ?? typeof error})`;
};

/**
 * Advances offboarding cases: each visit loads the case, takes the step it stands at (freeze →
 * hand over → report → complete) and records its outcome as the case's events. Every effect on
 * another service is idempotent (the freeze, commands with ids derived from the case), so a visit
 * repeated after a crash has no second effect. A failed attempt is recorded with its back-off;
 * after the last allowed attempt the case needs attention.
 */
@Injectable()
export class SagaService {
  private readonly logger = new Logger('OffboardingSaga');
  private readonly policy: RetryPolicy;
  private readonly s: string;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly directory: DirectoryClient,
    private readonly audit: AuditClient,
    private readonly publisher: CommandPublisher,
    private readonly revocations: RevocationStore,
    private readonly answers: AnswersLagService,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
  ) {
    this.policy = {
      initialDelayMs: config.OFFBOARDING_RETRY_INITIAL_MS,
      factor: 2,
      maxDelayMs: config.OFFBOARDING_RETRY_MAX_MS,
      maxAttempts: config.OFFBOARDING_MAX_ATTEMPTS,
    };
    this.s = quoteSchema(store.schema);
  }

  /** Cases whose next action is due, oldest first. */
  async dueCases(limit: number, now = new Date()): Promise<string[]> {
    const rows: Array<{ case_id: string }> = await this.dataSource.query(
      `SELECT case_id FROM ${this.s}.offboarding_cases
       WHERE next_action_at IS NOT NULL AND next_action_at <= $1 AND status IN ('scheduled', 'in_progress')
       ORDER BY next_action_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.case_id);
  }

  /** Takes every step of the case that can be taken now. */
  async advance(caseId: string): Promise<void> {
    for (let i = 0; i < MAX_STEPS_PER_VISIT; i += 1) {
      const { state, last } = await this.load(caseId);
      if (state.status !== 'scheduled' && state.status !== 'in_progress') return;
      const action = nextAction(state);
      const now = new Date();
      try {
        const moved = await this.take(action, state, last, now);
        if (!moved) return;
      } catch (error) {
        if (error instanceof StreamVersionConflict) return; // someone else moved the case: next visit
        if (action === 'takeEffect' || action === 'complete') throw error;
        await this.recordFailure(caseId, action, error, now, last);
        return;
      }
    }
  }

  private async load(caseId: string): Promise<{ state: CaseState; last: EventEnvelope | undefined }> {
    const events = await this.store.readStream(offboardingStreamId(caseId));
    const state = events.reduce<CaseState>(
      (current, e) => offboardingDecider.evolve(current, e as unknown as Parameters<typeof offboardingDecider.evolve>[1]),
      offboardingDecider.initialState,
    );
    return { state, last: events.at(-1) };
  }

  /** Returns whether the case moved (so the visit goes on). */
  private async take(
    action: ReturnType<typeof nextAction>,
    state: OpenCase,
    last: EventEnvelope | undefined,
    now: Date,
  ): Promise<boolean> {
    const { caseId, userId, effectiveAt } = state.request;
    const due = Date.parse(effectiveAt) <= now.getTime();
    switch (action) {
      case 'markDeparting':
        if (due) return this.handle(caseId, { type: 'TakeEffect', now: now.toISOString() }, now);
        await this.directory.markDeparting(userId, effectiveAt);
        return this.recordDepartingMarked(caseId, userId, now);
      case 'takeEffect':
        return due ? this.handle(caseId, { type: 'TakeEffect', now: now.toISOString() }, now) : false;
      case 'freeze':
        return this.freeze(state, now);
      case 'handover':
        return this.handover(state, last, now);
      case 'report':
        return this.report(state, now);
      case 'complete':
        await this.handle(caseId, { type: 'CompleteOffboarding' }, now);
        return false;
      default: {
        const unknown: never = action;
        throw new Error(`unhandled saga action ${String(unknown)}`);
      }
    }
  }

  /**
   * Records the mark just made. A person may have cancelled the case while the mark was on its way
   * (after the cancel cleared the mark, before this record): then nothing is recorded, and the mark
   * this visit made is cleared again, so a cancelled case never leaves its user departing.
   */
  private async recordDepartingMarked(caseId: string, userId: string, now: Date): Promise<boolean> {
    try {
      if (await this.handle(caseId, { type: 'RecordDepartingMarked' }, now)) return true;
    } catch (error) {
      if (!(error instanceof StreamVersionConflict)) throw error;
    }
    const { state } = await this.load(caseId);
    if (state.status === 'cancelled') await this.directory.cancelDeparture(userId, departureCancelReason(caseId));
    return false;
  }

  /**
   * Refuses every token of the user at once through the shared revocation marker (Redis, checked by
   * every service on every request), then has the authorization service revoke sessions, refresh
   * tokens and grants and disable login (idempotent), then cancels the user's exports (a command
   * with an id derived from the case).
   */
  private async freeze(state: OpenCase, now: Date): Promise<boolean> {
    const { caseId, userId } = state.request;
    await this.revocations.revokeUser(userId, now);
    const result = await this.directory.freeze(userId, `offboarding:${caseId}`);
    const exportsCommandId = derivedId(caseId, 'cancel-exports');
    await this.publisher.send('CancelUserExports', {
      commandId: exportsCommandId,
      key: userId,
      correlationId: caseId,
      issuedAt: now,
      data: { userId, reason: `offboarding:${caseId}` },
    });
    return this.handle(caseId, { type: 'RecordAccessFrozen', data: { ...result, exportsCommandId } }, now);
  }

  private async handover(state: OpenCase, last: EventEnvelope | undefined, now: Date): Promise<boolean> {
    const { caseId, userId } = state.request;
    let handover = state.handover;
    if (!handover) {
      const successor = await this.resolveSuccessor(state);
      const data = {
        transferId: derivedId(caseId, 'transfer'),
        commandId: derivedId(caseId, 'transfer-command'),
        ...successor,
      };
      await this.handle(caseId, { type: 'StartHandover', data }, now);
      handover = { ...data, done: 0, total: 0, count: null };
    } else if (last?.type !== 'OffboardingStepRetried') {
      // Due while in flight: no answer within the timeout. While our own answers consumer is behind
      // (its partitions still held by a crashed instance, or catching up) the answer may be waiting
      // on the topic: that silence is ours, so look again later without counting it.
      if (await this.answers.behind()) {
        this.logger.warn({ caseId, transferId: handover.transferId }, 'hand-over answer overdue while the answers consumer is behind; waiting');
        await this.postpone(caseId, new Date(now.getTime() + Math.min(this.config.OFFBOARDING_HANDOVER_TIMEOUT_MS, 5000)));
        return false;
      }
      // customer-records has not answered within the timeout. Count it as a failed attempt (sending
      // the same command again below: it is idempotent by its id).
      const attempts = (state.failures?.step === 'handover' ? state.failures.attempts : 0) + 1;
      const wait = Math.max(backoffDelayMs(this.policy, attempts, Math.random()), this.config.OFFBOARDING_HANDOVER_TIMEOUT_MS);
      await this.handle(
        caseId,
        {
          type: 'RecordStepFailure',
          data: {
            step: 'handover',
            error: `customer-records has not answered transfer ${handover.transferId} for ${this.config.OFFBOARDING_HANDOVER_TIMEOUT_MS} ms; command sent again`,
            nextAttemptAt: new Date(now.getTime() + wait).toISOString(),
            maxAttempts: this.policy.maxAttempts,
          },
        },
        now,
      );
    } else {
      await this.postpone(caseId, new Date(now.getTime() + this.config.OFFBOARDING_HANDOVER_TIMEOUT_MS));
    }
    await this.publisher.send('TransferCustomers', {
      commandId: handover.commandId,
      key: handover.transferId,
      correlationId: caseId,
      issuedAt: now,
      data: {
        transferId: handover.transferId,
        fromUserId: userId,
        toUserId: handover.successorPoolUserIds ? null : handover.successorId,
        toPoolUserIds: handover.successorPoolUserIds,
        reason: `offboarding:${caseId}`,
      },
    });
    return false; // the answer arrives as events
  }

  /** The named successor, else the pool's active members, else the leaver's manager. */
  private async resolveSuccessor(state: OpenCase): Promise<{ successorId: string | null; successorPoolUserIds: string[] | null }> {
    const { userId, successorId, successorPoolId } = state.request;
    if (successorId) return { successorId, successorPoolUserIds: null };
    if (successorPoolId) {
      const members = (await this.directory.teamMembers(successorPoolId))
        .filter((m) => m.id !== userId && m.status === 'active')
        .map((m) => m.id)
        .slice(0, 500);
      if (members.length === 0) throw new PermanentStepError(`successor pool ${successorPoolId} has no active member`);
      return { successorId: null, successorPoolUserIds: members };
    }
    const leaver = await this.directory.user(userId);
    if (!leaver?.managerId) {
      throw new PermanentStepError(`no successor: user ${userId} has no manager and no successor pool is configured`);
    }
    return { successorId: leaver.managerId, successorPoolUserIds: null };
  }

  /** Builds the report from the audit trail, stores it and records it in one transaction. */
  private async report(state: OpenCase, now: Date): Promise<boolean> {
    const { caseId, userId } = state.request;
    const reportId = derivedId(caseId, 'report');
    const periodDays = this.config.OFFBOARDING_REPORT_DAYS;
    const activity = await this.audit.activity(userId, periodDays);
    let report;
    try {
      report = buildReport({ reportId, caseId, userId, periodDays, generatedAt: now.toISOString() }, activity);
    } catch (error) {
      throw new PermanentStepError((error as Error).message);
    }
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO ${this.s}.offboarding_reports (case_id, report_id, report) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING`,
        [caseId, reportId, JSON.stringify(report)],
      );
      const link = `/v1/offboardings/${caseId}/report`;
      return this.handle(caseId, { type: 'RecordReport', data: { reportId, periodDays, summary: report.summary, link } }, now, manager);
    });
  }

  private async recordFailure(
    caseId: string,
    step: OffboardingStep,
    error: unknown,
    now: Date,
    last: EventEnvelope | undefined,
  ): Promise<void> {
    const { state } = await this.load(caseId);
    if (state.status === 'none') return;
    const attempts = (state.failures?.step === step ? state.failures.attempts : 0) + 1;
    const message = describe(error);
    if (!(error instanceof WardenError) && !(error instanceof PermanentStepError)) {
      this.logger.error({ caseId, step, err: (error as Error)?.message }, 'offboarding step failed unexpectedly');
    } else {
      this.logger.warn({ caseId, step, attempts, reason: message, after: last?.type }, 'offboarding step failed');
    }
    try {
      await this.handle(
        caseId,
        {
          type: 'RecordStepFailure',
          data: {
            step,
            error: message,
            nextAttemptAt: new Date(now.getTime() + backoffDelayMs(this.policy, attempts, Math.random())).toISOString(),
            maxAttempts: this.policy.maxAttempts,
            permanent: error instanceof PermanentStepError,
          },
        },
        now,
      );
    } catch (conflict) {
      if (!(conflict instanceof StreamVersionConflict)) throw conflict;
    }
  }

  /** Load → decide → append on the case; whether anything was appended. */
  async handle(caseId: string, command: OffboardingCommand, now: Date, manager?: EntityManager, causationId: string | null = null): Promise<boolean> {
    const { events } = await this.store.handle(offboardingStreamId(caseId), offboardingDecider, command, {
      metadata: sagaMetadata(caseId, now, causationId),
      manager,
    });
    return events.length > 0;
  }

  /** Saga bookkeeping only: look at the case again at `until`. */
  private async postpone(caseId: string, until: Date): Promise<void> {
    await this.dataSource.query(`UPDATE ${this.s}.offboarding_cases SET next_action_at = $2 WHERE case_id = $1`, [caseId, until]);
  }
}
