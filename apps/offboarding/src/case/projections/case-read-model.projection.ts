import type { EventEnvelope, OffboardingEvent } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export const CASE_EVENT_TYPES: ReadonlyArray<OffboardingEvent['type']> = [
  'OffboardingRequested',
  'OffboardingScheduled',
  'UserMarkedDepartingRecorded',
  'OffboardingTookEffect',
  'AccessFrozen',
  'HandoverStarted',
  'HandoverProgressed',
  'HandoverCompleted',
  'ReportGenerated',
  'LeaverReportReady',
  'OffboardingCompleted',
  'OffboardingCancelled',
  'OffboardingStepFailed',
  'OffboardingNeedsAttention',
  'OffboardingStepRetried',
  'OffboardingStepStarted',
  'OffboardingCommandAnswered',
];

/**
 * `offboarding_cases`: one row per case, kept in the transaction of its events. `next_action_at`
 * is when the saga looks at the case again (null: never, it ended or waits for a person); the
 * saga polls it, so a case dated in the future takes effect on time across restarts.
 */
export function caseReadModelProjection(schema: string, { handoverTimeoutMs }: { handoverTimeoutMs: number }): InlineProjection {
  const s = quoteSchema(schema);
  const later = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();
  return {
    name: 'offboarding-case-read-model',
    handles: CASE_EVENT_TYPES,
    async apply(events: readonly EventEnvelope[], manager) {
      for (const envelope of events) {
        const event = { type: envelope.type, data: envelope.data } as OffboardingEvent;
        const at = envelope.occurredAt;
        const caseId = String(envelope.data.caseId);
        const set = async (columns: Record<string, unknown>) => {
          const names = Object.keys(columns);
          await manager.query(
            `UPDATE ${s}.offboarding_cases SET ${names.map((n, i) => `${n} = $${i + 3}`).join(', ')}, version = $2, updated_at = now()
             WHERE case_id = $1`,
            [caseId, envelope.streamVersion, ...names.map((n) => columns[n])],
          );
        };
        switch (event.type) {
          case 'OffboardingRequested': {
            const d = event.data;
            await manager.query(
              `INSERT INTO ${s}.offboarding_cases (case_id, user_id, successor_id, successor_pool_id, source, reason,
                 status, step, effective_at, next_action_at, version, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, 'scheduled', 'markDeparting', $7, $8, $9, $8, $8)`,
              [d.caseId, d.userId, d.successorId, d.successorPoolId, d.source, d.reason, d.effectiveAt, at, envelope.streamVersion],
            );
            break;
          }
          case 'OffboardingScheduled':
            await set({ status: 'scheduled' });
            break;
          case 'UserMarkedDepartingRecorded':
            await set({ step: 'takeEffect', next_action_at: event.data.effectiveAt, last_error: null });
            break;
          case 'OffboardingTookEffect':
            await set({ status: 'in_progress', step: 'freeze', took_effect_at: at, next_action_at: at, last_error: null });
            break;
          case 'AccessFrozen':
            await set({ step: 'handover', frozen_at: at, next_action_at: at, last_error: null });
            break;
          case 'HandoverStarted':
            await set({ transfer_id: event.data.transferId, successor_id: event.data.successorId, next_action_at: later(at, handoverTimeoutMs) });
            break;
          case 'HandoverProgressed':
            await set({
              handover_done: event.data.done,
              handover_total: event.data.total,
              next_action_at: later(at, handoverTimeoutMs),
              last_error: null,
            });
            break;
          case 'HandoverCompleted':
            await set({ step: 'report', handover_done: event.data.count, handover_total: event.data.count, next_action_at: at, last_error: null });
            break;
          case 'ReportGenerated':
            await set({ step: 'complete', next_action_at: at, last_error: null });
            break;
          case 'LeaverReportReady':
            break;
          case 'OffboardingCompleted':
            await set({ status: 'completed', step: null, completed_at: at, next_action_at: null, last_error: null });
            break;
          case 'OffboardingCancelled':
            await set({ status: 'cancelled', step: null, next_action_at: null });
            break;
          case 'OffboardingStepFailed':
            await set({ last_error: event.data.error, next_action_at: event.data.nextAttemptAt });
            break;
          case 'OffboardingNeedsAttention':
            await set({ status: 'needs_attention', last_error: event.data.reason, next_action_at: null });
            break;
          case 'OffboardingStepRetried':
            await manager.query(
              `UPDATE ${s}.offboarding_cases
                 SET status = CASE WHEN took_effect_at IS NULL THEN 'scheduled' ELSE 'in_progress' END,
                     next_action_at = $3, last_error = NULL, version = $2, updated_at = now()
               WHERE case_id = $1`,
              [caseId, envelope.streamVersion, at],
            );
            break;
          case 'OffboardingStepStarted':
            await set({ next_action_at: event.data.answerBy });
            break;
          case 'OffboardingCommandAnswered':
            await set({ last_error: null });
            break;
          default: {
            const unknown: never = event;
            throw new Error(`offboarding-case-read-model: unhandled event ${(unknown as OffboardingEvent).type}`);
          }
        }
      }
    },
  };
}

export function caseReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class OffboardingCases1765000000000 implements MigrationInterface {
    name = 'OffboardingCases1765000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.offboarding_cases (
          case_id uuid PRIMARY KEY,
          user_id text NOT NULL,
          successor_id text,
          successor_pool_id text,
          source text NOT NULL,
          reason text NOT NULL,
          status text NOT NULL,
          step text,
          effective_at timestamptz NOT NULL,
          took_effect_at timestamptz,
          frozen_at timestamptz,
          completed_at timestamptz,
          next_action_at timestamptz,
          transfer_id uuid,
          handover_done integer NOT NULL DEFAULT 0,
          handover_total integer NOT NULL DEFAULT 0,
          exports_cancelled integer NOT NULL DEFAULT 0,
          last_error text,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      // One open case per user: a second request races into this and loses (409).
      await queryRunner.query(
        `CREATE UNIQUE INDEX offboarding_cases_one_open ON ${s}.offboarding_cases (user_id)
         WHERE status IN ('scheduled', 'in_progress', 'needs_attention')`,
      );
      await queryRunner.query(`CREATE INDEX offboarding_cases_due ON ${s}.offboarding_cases (next_action_at) WHERE next_action_at IS NOT NULL`);
      await queryRunner.query(`CREATE INDEX offboarding_cases_transfer ON ${s}.offboarding_cases (transfer_id)`);
      await queryRunner.query(`CREATE INDEX offboarding_cases_status ON ${s}.offboarding_cases (status, created_at)`);
      await queryRunner.query(`
        CREATE TABLE ${s}.offboarding_reports (
          case_id uuid PRIMARY KEY,
          report_id uuid NOT NULL UNIQUE,
          report jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.offboarding_reports`);
      await queryRunner.query(`DROP TABLE ${s}.offboarding_cases`);
    }
  }
  return [OffboardingCases1765000000000];
}
