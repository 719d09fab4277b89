import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { commandCompletedV1, commandRejectedV1, userActivityCompiledV1, type EventEnvelope } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import type { HandlerContext } from '@warden/messaging';
import { CONFIG, Metrics } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { departureCancelReason, nextAction, type OpenCase } from '../case/offboarding.decider';
import { BackgroundConsumer } from '../core/background-consumer.util';
import type { OffboardingConfig } from '../core/config';
import { DirectoryClient } from '../core/directory.client';
import { buildReport } from '../report/leaver-report.util';
import { answersSubscription, CONSUMER_KAFKA } from './answers-lag.service';
import { SagaService } from './saga.service';
import { derivedId } from './command.publisher';

/** The step each command answers (the hand-over's answers are customer-records' own events). */
const STEP_OF_COMMAND = { MarkUserDeparting: 'markDeparting', FreezeUserAccess: 'freeze', CancelUserExports: 'freeze', CompileUserActivity: 'report' } as const;

/**
 * The fields this service reads of customer-records' answers. The registry validates the whole
 * event when its contract is registered; until then the consumer accepts the type (envelope
 * checked) and these checks keep malformed answers out.
 */
const progressed = z.object({ transferId: z.uuid(), done: z.number().int().min(0), total: z.number().int().min(0) });
const transferred = z.object({ transferId: z.uuid(), count: z.number().int().min(0) });
const completed = commandCompletedV1;
const rejected = commandRejectedV1;
const compiled = userActivityCompiledV1;
const caseIdOf = z.uuid();

type Manager = HandlerContext['manager'];
type AnswerType =
  | 'CustomersTransferProgressed'
  | 'CustomersTransferred'
  | 'ExportCancelled'
  | 'CommandCompleted'
  | 'CommandRejected'
  | 'UserActivityCompiled';

/**
 * Answers to the saga's commands, each carrying the case id as correlation id:
 * - `CommandCompleted` from authorization (`MarkUserDeparting`, `FreezeUserAccess`) and exports
 *   (`CancelUserExports`): the departing mark recorded; the freeze done once both of its commands
 *   answered;
 * - `UserActivityCompiled` from audit: the leaver report built, stored and recorded;
 * - `CommandRejected`: the step failed (needs attention at once when retrying cannot help);
 * - `CustomersTransferProgressed` / `CustomersTransferred` from customer-records: hand-over progress;
 * - `ExportCancelled` by offboarding from exports: counted on the case.
 * Each handled in the inbox transaction: exactly once.
 */
@Injectable()
export class AnswersConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer = new BackgroundConsumer('answers', new Logger('OffboardingAnswers'));
  private readonly s: string;

  constructor(
    @Inject(CONSUMER_KAFKA) private readonly kafka: Kafka,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly saga: SagaService,
    private readonly directory: DirectoryClient,
    private readonly metrics: Metrics,
  ) {
    this.s = quoteSchema(store.schema);
  }

  onApplicationBootstrap(): void {
    this.consumer.start({
      kafka: this.kafka,
      ...answersSubscription(this.config.KAFKA_TOPIC_PREFIX),
      dataSource: this.dataSource,
      schema: this.store.schema,
      metrics: this.metrics,
      handle: (event, context) => this.handle(event, context),
      // The answers' topics carry every event of those services (each customer registered or
      // handed over, say): only these types are read, the others cost no transaction.
      handledTypes: this.answerTypes,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  /**
   * One handler per event type the saga acts on; its keys are the types the consumer reads (the
   * others of these topics are not the saga's business and cost no transaction).
   */
  private readonly handlers: Record<AnswerType, (event: EventEnvelope, manager: Manager) => Promise<void>> = {
    CustomersTransferProgressed: async (event, manager) => {
      const data = progressed.parse(event.data);
      const caseId = await this.caseOfTransfer(data.transferId, manager);
      if (!caseId) return;
      await this.saga.handle(caseId, { type: 'RecordHandoverProgress', data }, new Date(), manager, event.eventId);
    },
    CustomersTransferred: async (event, manager) => {
      const data = transferred.parse(event.data);
      const caseId = await this.caseOfTransfer(data.transferId, manager);
      if (!caseId) return;
      await this.saga.handle(caseId, { type: 'CompleteHandover', data }, new Date(), manager, event.eventId);
    },
    ExportCancelled: async (event, manager) => {
      if (event.data.canceller !== 'offboarding') return;
      await manager.query(
        `UPDATE ${this.s}.offboarding_cases SET exports_cancelled = exports_cancelled + 1 WHERE case_id::text = $1 AND user_id = $2`,
        [event.correlationId, event.data.requesterId],
      );
    },
    CommandCompleted: (event, manager) => this.completed(event, manager),
    CommandRejected: (event, manager) => this.rejected(event, manager),
    UserActivityCompiled: (event, manager) => this.activityCompiled(event, manager),
  };

  /** The event types `handle` acts on. */
  readonly answerTypes: ReadonlySet<string> = new Set(Object.keys(this.handlers));

  async handle(event: EventEnvelope, { manager }: HandlerContext): Promise<void> {
    if (!Object.hasOwn(this.handlers, event.type)) return; // other events of these topics are not the saga's business
    await this.handlers[event.type as AnswerType](event, manager);
  }

  /** The case a command answer belongs to (its correlation id), if it is one of ours. */
  private async caseOf(event: EventEnvelope, manager: Manager): Promise<OpenCase | null> {
    if (!caseIdOf.safeParse(event.correlationId).success) return null;
    const rows: unknown[] = await manager.query(`SELECT 1 FROM ${this.s}.offboarding_cases WHERE case_id = $1`, [event.correlationId]);
    if (rows.length === 0) return null;
    const { state } = await this.saga.load(event.correlationId, manager);
    return state.status === 'none' ? null : state;
  }

  private async completed(event: EventEnvelope, manager: Manager): Promise<void> {
    const data = completed.parse(event.data);
    if (data.command !== 'MarkUserDeparting' && data.command !== 'FreezeUserAccess' && data.command !== 'CancelUserExports') return;
    const state = await this.caseOf(event, manager);
    if (!state) return;
    const caseId = state.request.caseId;
    if (data.command === 'MarkUserDeparting') {
      const moved = await this.saga.handle(caseId, { type: 'RecordDepartingMarked' }, new Date(), manager, event.eventId);
      // The case was cancelled while the mark was on its way (after the cancel cleared the mark,
      // before authorization made it): clear it again, so a cancelled case never leaves its user departing.
      if (!moved && state.status === 'cancelled') {
        await this.directory.cancelDeparture(state.request.userId, departureCancelReason(caseId));
      }
      return;
    }
    await this.saga.handle(
      caseId,
      { type: 'RecordFreezeAnswer', data: { commandId: data.commandId, command: data.command, outcome: data.outcome } },
      new Date(),
      manager,
      event.eventId,
    );
  }

  private async rejected(event: EventEnvelope, manager: Manager): Promise<void> {
    const data = rejected.parse(event.data);
    const step = STEP_OF_COMMAND[data.command as keyof typeof STEP_OF_COMMAND];
    if (!step) return;
    const state = await this.caseOf(event, manager);
    if (!state || state.status === 'cancelled' || state.status === 'completed') return;
    await this.saga.failStep(state.request.caseId, step, `${data.command} refused (${data.code}): ${data.message}`, {
      permanent: !data.retryable,
      manager,
      causationId: event.eventId,
    });
  }

  /** Builds the leaver report from audit's answer, stores it and records it, in the inbox transaction. */
  private async activityCompiled(event: EventEnvelope, manager: Manager): Promise<void> {
    const data = compiled.parse(event.data);
    const state = await this.caseOf(event, manager);
    if (!state || state.request.userId !== data.userId || nextAction(state) !== 'report') return;
    const caseId = state.request.caseId;
    const now = new Date();
    const reportId = derivedId(caseId, 'report');
    let report;
    try {
      report = buildReport({ reportId, caseId, userId: state.request.userId, periodDays: data.days, generatedAt: now.toISOString() }, data);
    } catch (error) {
      // An answer in a shape this service does not know is never read as "no activity".
      await this.saga.failStep(caseId, 'report', (error as Error).message, { now, permanent: true, manager, causationId: event.eventId });
      return;
    }
    await manager.query(
      `INSERT INTO ${this.s}.offboarding_reports (case_id, report_id, report) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING`,
      [caseId, reportId, JSON.stringify(report)],
    );
    const link = `/v1/offboardings/${caseId}/report`;
    await this.saga.handle(caseId, { type: 'RecordReport', data: { reportId, periodDays: data.days, summary: report.summary, link } }, now, manager, event.eventId);
  }

  private async caseOfTransfer(transferId: string, manager: Manager): Promise<string | null> {
    const rows: Array<{ case_id: string }> = await manager.query(
      `SELECT case_id FROM ${this.s}.offboarding_cases WHERE transfer_id = $1`,
      [transferId],
    );
    return rows[0]?.case_id ?? null;
  }
}
