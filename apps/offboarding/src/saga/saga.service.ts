import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  commandTargets,
  offboardingStreamId,
  systemActor,
  WardenError,
  type CommandType,
  type EventEnvelope,
  type OffboardingStep,
  type OffboardingStepCommand,
} from '@warden/contracts';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { RevocationStore } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import type { OffboardingCommand } from '../case/offboarding.commands';
import { nextAction, offboardingDecider, type CaseState, type OpenCase } from '../case/offboarding.decider';
import type { OffboardingConfig } from '../core/config';
import { DirectoryClient } from '../core/directory.client';
import { AnswersLagService } from './answers-lag.service';
import { CommandPublisher, derivedId } from './command.publisher';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.util';

/** A step failure no retry can fix: the case needs a person at once. */
export class PermanentStepError extends Error {}

/** The commands each step other than the hand-over sends. */
const STEP_COMMANDS = {
  markDeparting: ['MarkUserDeparting'],
  freeze: ['FreezeUserAccess', 'CancelUserExports'],
  report: ['CompileUserActivity'],
} as const satisfies Record<string, readonly OffboardingStepCommand[]>;

/** Whether a command of the current step has been answered already (only the freeze has two). */
const answered = (state: OpenCase, name: OffboardingStepCommand): boolean =>
  (name === 'FreezeUserAccess' || name === 'CancelUserExports') && state.freezeAnswers[name] !== undefined;

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

  async load(caseId: string, manager?: EntityManager): Promise<{ state: CaseState; last: EventEnvelope | undefined }> {
    const events = await this.store.readStream(offboardingStreamId(caseId), manager);
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
    const { caseId, effectiveAt } = state.request;
    const due = Date.parse(effectiveAt) <= now.getTime();
    switch (action) {
      case 'markDeparting':
        if (due) return this.handle(caseId, { type: 'TakeEffect', now: now.toISOString() }, now);
        return this.sendStep('markDeparting', state, last, now);
      case 'takeEffect':
        return due ? this.handle(caseId, { type: 'TakeEffect', now: now.toISOString() }, now) : false;
      case 'freeze':
        return this.sendStep('freeze', state, last, now);
      case 'handover':
        return this.handover(state, last, now);
      case 'report':
        return this.sendStep('report', state, last, now);
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
   * Records a failed attempt of the step with its back-off (capped at `cap`, e.g. the date a case
   * takes effect); after the last allowed attempt, or at once when `permanent`, the case needs
   * attention. Used for a silence past the answer timeout and for a refusal (`CommandRejected`).
   */
  async failStep(
    caseId: string,
    step: OffboardingStep,
    error: string,
    { now = new Date(), cap, permanent = false, manager, causationId = null }: { now?: Date; cap?: number; permanent?: boolean; manager?: EntityManager; causationId?: string | null },
  ): Promise<void> {
    const { state } = await this.load(caseId, manager);
    if (state.status === 'none') return;
    const attempts = (state.failures?.step === step ? state.failures.attempts : 0) + 1;
    const at = now.getTime() + backoffDelayMs(this.policy, attempts, Math.random());
    await this.handle(
      caseId,
      {
        type: 'RecordStepFailure',
        data: {
          step,
          error: error.slice(0, 1000),
          nextAttemptAt: new Date(cap === undefined ? at : Math.min(at, cap)).toISOString(),
          maxAttempts: this.policy.maxAttempts,
          permanent,
        },
      },
      now,
      manager,
      causationId,
    );
  }

  /**
   * Sends a step's commands on Kafka (mark departing → authorization; freeze → authorization and
   * exports; report → audit) and records that the step waits for their answers until `answerBy`.
   * The answers arrive as events (`AnswersConsumer`) and move the case. Due again with answers
   * missing: the silence counts as a failed attempt (unless this service's answers consumer is
   * behind: then the answer may be waiting unread), and after its back-off the unanswered commands
   * are sent again.
   *
   * The freeze first sets the user-wide revocation marker in Redis, checked by every service on
   * every request: from then on every token the leaver holds is refused, whatever the commands'
   * way through Kafka takes.
   *
   * Command ids derive from the case and its version when the step starts: a later attempt sends
   * new ones (every
   * command is idempotent in its effect, so a receiver that did get the first one answers again
   * with the same outcome; the decider takes the first answer of each command).
   */
  private async sendStep(step: 'markDeparting' | 'freeze' | 'report', state: OpenCase, last: EventEnvelope | undefined, now: Date): Promise<boolean> {
    const { caseId, userId, effectiveAt } = state.request;
    const version = last?.streamVersion ?? 0;
    const timeoutMs = this.config.OFFBOARDING_ANSWER_TIMEOUT_MS;
    // A case dated in the future still takes effect on time while its mark waits for an answer.
    const capped = (at: number) => new Date(step === 'markDeparting' ? Math.min(at, Date.parse(effectiveAt)) : at);
    const started = state.started?.step === step ? state.started : null;
    if (started) {
      if (await this.answers.behind()) {
        this.logger.warn({ caseId, step }, 'step answer overdue while the answers consumer is behind; waiting');
        await this.postpone(caseId, capped(now.getTime() + Math.min(timeoutMs, 5000)));
        return false;
      }
      const missing = started.commands.filter((c) => !answered(state, c.command));
      const targets = [...new Set(missing.map((c) => commandTargets[c.command]))].join(' and ');
      await this.failStep(caseId, step, `${targets} has not answered ${missing.map((c) => c.command).join(', ')} within ${timeoutMs} ms`, {
        now,
        cap: step === 'markDeparting' ? Date.parse(effectiveAt) : undefined,
      });
      return false;
    }
    if (step === 'freeze') await this.revocations.revokeUser(userId, now);
    // Recorded before the commands leave, so no answer can arrive before the step is (an answer
    // racing the record would make the visit conflict and send the step again). A crash between
    // the record and the sending leaves the step silent until `answerBy`: then it is counted and sent.
    const commands = STEP_COMMANDS[step]
      .filter((name) => !answered(state, name))
      .map((command) => ({ commandId: derivedId(caseId, `${command}@${version}`), command }));
    const answerBy = capped(now.getTime() + timeoutMs).toISOString();
    if (!(await this.handle(caseId, { type: 'StartStep', data: { step, commands, answerBy } }, now))) return false;
    await this.sendCommands(state, commands, now);
    return false; // the answers arrive as events
  }

  private async sendCommands(state: OpenCase, commands: ReadonlyArray<{ commandId: string; command: OffboardingStepCommand }>, now: Date): Promise<void> {
    const { caseId, userId, effectiveAt } = state.request;
    const reason = `offboarding:${caseId}`;
    const data: Record<OffboardingStepCommand, Record<string, unknown>> = {
      MarkUserDeparting: { userId, effectiveAt },
      FreezeUserAccess: { userId, reason },
      CancelUserExports: { userId, reason },
      CompileUserActivity: { userId, days: this.config.OFFBOARDING_REPORT_DAYS },
    };
    for (const { commandId, command } of commands) {
      await this.publisher.send(command as CommandType, { commandId, key: userId, correlationId: caseId, issuedAt: now, data: data[command] });
    }
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
