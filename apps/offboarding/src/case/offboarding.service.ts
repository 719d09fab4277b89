import { Inject, Injectable } from '@nestjs/common';
import { offboardingStreamId, type EventEnvelope, type OffboardingEvent, type UserDeprovisionedData } from '@warden/contracts';
import { EventStore, StreamVersionConflict, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { OffboardingConfig } from '../core/config';
import { DirectoryClient } from '../core/directory.client';
import { reportToCsv, reportToHtml, type LeaverReport } from '../report/leaver-report.util';
import { derivedId } from '../saga/command.publisher';
import { validateLeaver, validatePool, validateSuccessor } from './case-validation.util';
import { caseView, type CaseView } from './case-view.util';
import type { OffboardingCommand } from './offboarding.commands';
import { departureCancelReason, offboardingDecider, type CaseState } from './offboarding.decider';
import type {
  CancelOffboardingBody,
  CaseAccepted,
  CaseSummaryView,
  ListOffboardingsQuery,
  ReportQuery,
  RequestOffboardingBody,
} from './offboarding.dto';
import { OffboardingError, OffboardingErrorCode } from './offboarding.exception';

type CaseRow = {
  case_id: string;
  user_id: string;
  successor_id: string | null;
  successor_pool_id: string | null;
  source: string;
  status: string;
  step: string | null;
  effective_at: Date;
  took_effect_at: Date | null;
  completed_at: Date | null;
  handover_done: number;
  handover_total: number;
  exports_cancelled: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
};

const OPEN = `('scheduled', 'in_progress', 'needs_attention')`;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The unique index of open cases per user refused a second open case. */
const isOpenCaseConflict = (error: unknown): boolean =>
  error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505';

/** How many times a command is decided again after losing a race with the saga. */
const CONFLICT_ATTEMPTS = 5;

@Injectable()
export class OffboardingService {
  private readonly s: string;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly directory: DirectoryClient,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
  ) {
    this.s = quoteSchema(store.schema);
  }

  /**
   * Load → decide → append. A person's command (cancel, retry) can race the saga appending to the
   * same case: on a version conflict outside a caller's transaction it is decided again on the
   * fresh state (a few times), so HR gets the decision on the case as it now is, not a 409.
   */
  private async handle(caseId: string, command: OffboardingCommand, metadata: CommandMetadata, manager?: EntityManager): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.handle(offboardingStreamId(caseId), offboardingDecider, command, { metadata, manager });
        return;
      } catch (error) {
        if (manager || attempt >= CONFLICT_ATTEMPTS || !(error instanceof StreamVersionConflict)) throw error;
      }
    }
  }

  /**
   * HR's request: the leaver and the successor (or pool) are checked against the authorization
   * service (a 503 when it cannot answer: no case is started on a guess), then the case is
   * recorded; it takes effect at once or at `effectiveAt`.
   */
  async request(body: RequestOffboardingBody, metadata: CommandMetadata): Promise<CaseAccepted> {
    const leaver = validateLeaver(body.userId, await this.directory.user(body.userId));
    await this.ensureNoOpenCase(body.userId);
    if (body.successorId === body.userId) validateSuccessor(leaver, body.successorId, leaver, []);
    const teams = await this.directory.teams();
    if (body.successorId) {
      validateSuccessor(leaver, body.successorId, await this.directory.user(body.successorId), teams);
    } else if (body.successorPoolId) {
      const members = teams.some((t) => t.id === body.successorPoolId) ? await this.directory.teamMembers(body.successorPoolId) : [];
      validatePool(leaver, body.successorPoolId, members, teams);
    }
    const now = metadata.now;
    const effectiveAt = body.effectiveAt && Date.parse(body.effectiveAt) > now.getTime() ? new Date(body.effectiveAt) : now;
    const caseId = uuidv7();
    try {
      await this.handle(
        caseId,
        {
          type: 'RequestOffboarding',
          now: now.toISOString(),
          data: {
            caseId,
            userId: body.userId,
            successorId: body.successorId ?? null,
            successorPoolId: body.successorPoolId ?? null,
            effectiveAt: effectiveAt.toISOString(),
            reason: body.reason,
            notes: body.notes ?? null,
            source: 'hr',
            requestedBy: metadata.actor.userId,
          },
        },
        metadata,
      );
    } catch (error) {
      if (isOpenCaseConflict(error)) throw this.alreadyOpen(body.userId);
      throw error;
    }
    const status = effectiveAt.getTime() > now.getTime() ? 'scheduled' : 'in_progress';
    return { id: caseId, status, effectiveAt: effectiveAt.toISOString(), links: { self: `/v1/offboardings/${caseId}` } };
  }

  /**
   * The identity provider deprovisioned a user: a scheduled case takes effect now; without an open
   * case one starts at once, its successor the manager (resolved by the saga) unless a pool is
   * configured. Runs in the consumer's inbox transaction.
   */
  async startFromScim(data: UserDeprovisionedData, event: EventEnvelope, manager: EntityManager): Promise<void> {
    const now = new Date();
    const metadata: CommandMetadata = { actor: event.actor, correlationId: event.correlationId, causationId: event.eventId, now };
    const open: Array<{ case_id: string; status: string }> = await manager.query(
      `SELECT case_id, status FROM ${this.s}.offboarding_cases WHERE user_id = $1 AND status IN ${OPEN}`,
      [data.userId],
    );
    if (open.length) {
      if (open[0].status === 'scheduled') {
        await this.handle(open[0].case_id, { type: 'TakeEffect', now: now.toISOString(), early: true }, metadata, manager);
      }
      return;
    }
    const caseId = derivedId(event.eventId, 'scim-case');
    const poolId = this.config.OFFBOARDING_SCIM_SUCCESSOR_POOL_ID ?? null;
    await this.handle(
      caseId,
      {
        type: 'RequestOffboarding',
        now: now.toISOString(),
        data: {
          caseId,
          userId: data.userId,
          successorId: null,
          successorPoolId: poolId,
          effectiveAt: now.toISOString(),
          reason: `deprovisioned by the identity provider (${data.reason})`,
          notes: null,
          source: 'scim',
          requestedBy: event.actor.userId,
        },
      },
      { ...metadata, correlationId: caseId },
      manager,
    );
  }

  async list(query: ListOffboardingsQuery): Promise<{ items: CaseSummaryView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (query.status) add((p) => `status = ${p}`, query.status);
    if (query.userId) add((p) => `user_id = ${p}`, query.userId);
    if (query.cursor) add((p) => `case_id < ${p}`, query.cursor);
    values.push(query.limit + 1);
    const rows: CaseRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.offboarding_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY case_id DESC LIMIT $${values.length}`,
      values,
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(summaryOf),
      nextCursor: rows.length > query.limit ? page[page.length - 1].case_id : null,
    };
  }

  async get(caseId: string): Promise<CaseView> {
    const events = await this.store.readStream(offboardingStreamId(caseId));
    const rows: Array<{ exports_cancelled: number }> = await this.dataSource.query(
      `SELECT exports_cancelled FROM ${this.s}.offboarding_cases WHERE case_id = $1`,
      [caseId],
    );
    const view = caseView(events, rows[0]?.exports_cancelled ?? 0);
    if (!view) throw new OffboardingError(OffboardingErrorCode.NotFound, `offboarding case ${caseId} not found`);
    return view;
  }

  /**
   * HR's cancel of a case that has not taken effect. The user's departing mark at the authorization
   * service is cleared first (a 503 when it cannot answer: the case stays as it was and can be
   * cancelled again), then the cancellation is appended at the version it was decided on. Had the
   * saga moved the case meanwhile (it may have just marked the user departing, or taken effect),
   * it is decided again on the fresh case, and the mark cleared again.
   */
  async cancel(caseId: string, body: CancelOffboardingBody, metadata: CommandMetadata): Promise<CaseView> {
    const streamId = offboardingStreamId(caseId);
    const command: OffboardingCommand = { type: 'CancelOffboarding', data: { cancelledBy: metadata.actor.userId, reason: body.reason ?? null } };
    for (let attempt = 1; ; attempt++) {
      const { state, version, hash } = await this.store.aggregate<CaseState>(
        streamId,
        (current, event) => offboardingDecider.evolve(current, event as unknown as OffboardingEvent),
        offboardingDecider.initialState,
      );
      const events = offboardingDecider.decide(command, state); // a case that took effect or ended is refused here
      if (state.status !== 'none') await this.directory.cancelDeparture(state.request.userId, departureCancelReason(caseId));
      try {
        await this.store.append(streamId, events, { expectedVersion: version, expectedHash: hash, metadata });
        break;
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !(error instanceof StreamVersionConflict)) throw error;
      }
    }
    return this.get(caseId);
  }

  async retry(caseId: string, metadata: CommandMetadata): Promise<CaseView> {
    await this.handle(caseId, { type: 'RetryStep', data: { retriedBy: metadata.actor.userId } }, metadata);
    return this.get(caseId);
  }

  /** The stored report in the asked format. */
  async report(caseId: string, { format }: ReportQuery): Promise<{ contentType: string; body: string }> {
    const rows: Array<{ report: LeaverReport }> = await this.dataSource.query(
      `SELECT report FROM ${this.s}.offboarding_reports WHERE case_id = $1`,
      [caseId],
    );
    if (!rows.length) {
      await this.get(caseId); // 404 for an unknown case
      throw new OffboardingError(OffboardingErrorCode.ReportNotReady, `the report of offboarding case ${caseId} is not ready yet`);
    }
    const report = rows[0].report;
    switch (format) {
      case 'json':
        return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(report) };
      case 'csv':
        return { contentType: 'text/csv; charset=utf-8', body: reportToCsv(report) };
      case 'html':
        return { contentType: 'text/html; charset=utf-8', body: reportToHtml(report) };
      default: {
        const unknown: never = format;
        throw new Error(`unknown report format ${String(unknown)}`);
      }
    }
  }

  private async ensureNoOpenCase(userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${this.s}.offboarding_cases WHERE user_id = $1 AND status IN ${OPEN}`,
      [userId],
    );
    if (rows.length) throw this.alreadyOpen(userId);
  }

  private alreadyOpen(userId: string): OffboardingError {
    return new OffboardingError(OffboardingErrorCode.AlreadyOpen, `user ${userId} already has an open offboarding case`);
  }
}

function summaryOf(row: CaseRow): CaseSummaryView {
  return {
    id: row.case_id,
    userId: row.user_id,
    successorId: row.successor_id,
    successorPoolId: row.successor_pool_id,
    source: row.source,
    status: row.status,
    step: row.step,
    effectiveAt: row.effective_at.toISOString(),
    tookEffectAt: iso(row.took_effect_at),
    completedAt: iso(row.completed_at),
    handover: { done: row.handover_done, total: row.handover_total },
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
