import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Events of the offboarding service: one stream per case (`offboarding-<caseId>`). They carry ids,
 * counts, step names and error messages written by the service; never a token, a password or a
 * customer's data. The leaver report itself stays in the service (the events carry its id and
 * link).
 */

const id = z.string().min(1).max(200);
const at = z.iso.datetime({ offset: true });

/** Who started a case: HR (or an admin) through the API, or the identity provider through SCIM. */
export const OFFBOARDING_SOURCES = ['hr', 'scim'] as const;
export const offboardingSourceSchema = z.enum(OFFBOARDING_SOURCES);
export type OffboardingSource = z.infer<typeof offboardingSourceSchema>;

/** The saga's steps, in order (`markDeparting` runs only for a case dated in the future). */
export const OFFBOARDING_STEPS = ['markDeparting', 'freeze', 'handover', 'report'] as const;
export const offboardingStepSchema = z.enum(OFFBOARDING_STEPS);
export type OffboardingStep = z.infer<typeof offboardingStepSchema>;

export const offboardingRequestedV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  /** The successor named by HR; null when a pool is named or the manager is to be taken (SCIM). */
  successorId: id.nullable(),
  successorPoolId: id.nullable(),
  effectiveAt: at,
  reason: z.string().min(1).max(500),
  notes: z.string().max(2000).nullable(),
  source: offboardingSourceSchema,
  requestedBy: id,
});
export type OffboardingRequestedData = z.infer<typeof offboardingRequestedV1>;

/** The case takes effect later: the user is marked departing meanwhile. */
export const offboardingScheduledV1 = z.strictObject({ caseId: z.uuid(), userId: id, effectiveAt: at });
export type OffboardingScheduledData = z.infer<typeof offboardingScheduledV1>;

/** The authorization service marked the user departing (its `UserMarkedDeparting`). */
export const userMarkedDepartingRecordedV1 = z.strictObject({ caseId: z.uuid(), userId: id, effectiveAt: at });
export type UserMarkedDepartingRecordedData = z.infer<typeof userMarkedDepartingRecordedV1>;

export const offboardingTookEffectV1 = z.strictObject({ caseId: z.uuid(), userId: id, effectiveAt: at });
export type OffboardingTookEffectData = z.infer<typeof offboardingTookEffectV1>;

/** Sessions, refresh tokens and grants revoked, login disabled; the exports cancellation sent. */
export const accessFrozenV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  sessionsRevoked: z.number().int().min(0),
  grantsRevoked: z.number().int().min(0),
  /** The `CancelUserExports` command the exports service answered. */
  exportsCommandId: z.uuid(),
});
export type AccessFrozenData = z.infer<typeof accessFrozenV1>;

export const handoverStartedV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  transferId: z.uuid(),
  successorId: id.nullable(),
  successorPoolUserIds: z.array(id).max(500).nullable(),
  /** The `TransferCustomers` command sent to customer-records (idempotent by this id). */
  commandId: z.uuid(),
});
export type HandoverStartedData = z.infer<typeof handoverStartedV1>;

export const handoverProgressedV1 = z.strictObject({
  caseId: z.uuid(),
  transferId: z.uuid(),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
});
export type HandoverProgressedData = z.infer<typeof handoverProgressedV1>;

export const handoverCompletedV1 = z.strictObject({
  caseId: z.uuid(),
  transferId: z.uuid(),
  count: z.number().int().min(0),
});
export type HandoverCompletedData = z.infer<typeof handoverCompletedV1>;

/** Counts of the report; the report itself is served by the offboarding service. */
export const leaverReportSummarySchema = z.strictObject({
  logins: z.number().int().min(0),
  customersViewed: z.number().int().min(0),
  reveals: z.number().int().min(0),
  exports: z.number().int().min(0),
  downloads: z.number().int().min(0),
  alerts: z.number().int().min(0),
});
export type LeaverReportSummary = z.infer<typeof leaverReportSummarySchema>;

export const reportGeneratedV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  reportId: z.uuid(),
  periodDays: z.number().int().min(1).max(366),
  summary: leaverReportSummarySchema,
});
export type ReportGeneratedData = z.infer<typeof reportGeneratedV1>;

/** For HR and security: where to read the leaver report (a path of the offboarding API). */
export const leaverReportReadyV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  reportId: z.uuid(),
  /** e.g. `/v1/offboardings/<caseId>/report`; add `?format=json|csv|html`. */
  link: z.string().min(1).max(500),
  audience: z.array(z.enum(['hr', 'security_officer'])).min(1),
});
export type LeaverReportReadyData = z.infer<typeof leaverReportReadyV1>;

export const offboardingCompletedV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  summary: z.strictObject({
    sessionsRevoked: z.number().int().min(0),
    grantsRevoked: z.number().int().min(0),
    customersTransferred: z.number().int().min(0),
    successorId: id.nullable(),
    reportId: z.uuid(),
    tookEffectAt: at,
  }),
});
export type OffboardingCompletedData = z.infer<typeof offboardingCompletedV1>;

export const offboardingCancelledV1 = z.strictObject({
  caseId: z.uuid(),
  userId: id,
  cancelledBy: id,
  reason: z.string().max(500).nullable(),
});
export type OffboardingCancelledData = z.infer<typeof offboardingCancelledV1>;

/** One attempt of a step failed; the saga tries again at `nextAttemptAt`. */
export const offboardingStepFailedV1 = z.strictObject({
  caseId: z.uuid(),
  step: offboardingStepSchema,
  attempt: z.number().int().min(1),
  error: z.string().max(1000),
  nextAttemptAt: at,
});
export type OffboardingStepFailedData = z.infer<typeof offboardingStepFailedV1>;

/** A step kept failing: the case waits for a person (`POST /v1/offboardings/:id/retry`). */
export const offboardingNeedsAttentionV1 = z.strictObject({
  caseId: z.uuid(),
  step: offboardingStepSchema,
  attempts: z.number().int().min(1),
  reason: z.string().max(1000),
});
export type OffboardingNeedsAttentionData = z.infer<typeof offboardingNeedsAttentionV1>;

export const offboardingStepRetriedV1 = z.strictObject({
  caseId: z.uuid(),
  step: offboardingStepSchema,
  retriedBy: id,
});
export type OffboardingStepRetriedData = z.infer<typeof offboardingStepRetriedV1>;

/** The saga commands that answer a step other than the hand-over (see `commands.ts`). */
export const OFFBOARDING_STEP_COMMANDS = ['MarkUserDeparting', 'FreezeUserAccess', 'CancelUserExports', 'CompileUserActivity'] as const;
export const offboardingStepCommandSchema = z.enum(OFFBOARDING_STEP_COMMANDS);
export type OffboardingStepCommand = z.infer<typeof offboardingStepCommandSchema>;

/**
 * The saga sent a step's commands on Kafka (mark departing → authorization; freeze → authorization
 * and exports; report → audit) and waits for their answers until `answerBy`, when it looks again
 * (an answer overdue counts as a failed attempt and the commands are sent again).
 */
export const offboardingStepStartedV1 = z.strictObject({
  caseId: z.uuid(),
  step: offboardingStepSchema,
  commands: z.array(z.strictObject({ commandId: z.uuid(), command: offboardingStepCommandSchema })).min(1).max(10),
  answerBy: at,
});
export type OffboardingStepStartedData = z.infer<typeof offboardingStepStartedV1>;

/**
 * One of a step's commands was answered (the step is done when all are: then its own event
 * follows, e.g. `AccessFrozen`). `outcome` is the answer's outcome (counts, a status).
 */
export const offboardingCommandAnsweredV1 = z.strictObject({
  caseId: z.uuid(),
  step: offboardingStepSchema,
  commandId: z.uuid(),
  command: offboardingStepCommandSchema,
  outcome: z.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])),
});
export type OffboardingCommandAnsweredData = z.infer<typeof offboardingCommandAnsweredV1>;

export type OffboardingEvent =
  | { type: 'OffboardingRequested'; data: OffboardingRequestedData }
  | { type: 'OffboardingScheduled'; data: OffboardingScheduledData }
  | { type: 'UserMarkedDepartingRecorded'; data: UserMarkedDepartingRecordedData }
  | { type: 'OffboardingTookEffect'; data: OffboardingTookEffectData }
  | { type: 'AccessFrozen'; data: AccessFrozenData }
  | { type: 'HandoverStarted'; data: HandoverStartedData }
  | { type: 'HandoverProgressed'; data: HandoverProgressedData }
  | { type: 'HandoverCompleted'; data: HandoverCompletedData }
  | { type: 'ReportGenerated'; data: ReportGeneratedData }
  | { type: 'LeaverReportReady'; data: LeaverReportReadyData }
  | { type: 'OffboardingCompleted'; data: OffboardingCompletedData }
  | { type: 'OffboardingCancelled'; data: OffboardingCancelledData }
  | { type: 'OffboardingStepFailed'; data: OffboardingStepFailedData }
  | { type: 'OffboardingNeedsAttention'; data: OffboardingNeedsAttentionData }
  | { type: 'OffboardingStepRetried'; data: OffboardingStepRetriedData }
  | { type: 'OffboardingStepStarted'; data: OffboardingStepStartedData }
  | { type: 'OffboardingCommandAnswered'; data: OffboardingCommandAnsweredData };

export const offboardingStreamId = (caseId: string): string => `offboarding-${caseId}`;

export const offboardingEventSpecs: EventSpec[] = [
  { type: 'OffboardingRequested', versions: { 1: offboardingRequestedV1 } },
  { type: 'OffboardingScheduled', versions: { 1: offboardingScheduledV1 } },
  { type: 'UserMarkedDepartingRecorded', versions: { 1: userMarkedDepartingRecordedV1 } },
  { type: 'OffboardingTookEffect', versions: { 1: offboardingTookEffectV1 } },
  { type: 'AccessFrozen', versions: { 1: accessFrozenV1 } },
  { type: 'HandoverStarted', versions: { 1: handoverStartedV1 } },
  { type: 'HandoverProgressed', versions: { 1: handoverProgressedV1 } },
  { type: 'HandoverCompleted', versions: { 1: handoverCompletedV1 } },
  { type: 'ReportGenerated', versions: { 1: reportGeneratedV1 } },
  { type: 'LeaverReportReady', versions: { 1: leaverReportReadyV1 } },
  { type: 'OffboardingCompleted', versions: { 1: offboardingCompletedV1 } },
  { type: 'OffboardingCancelled', versions: { 1: offboardingCancelledV1 } },
  { type: 'OffboardingStepFailed', versions: { 1: offboardingStepFailedV1 } },
  { type: 'OffboardingNeedsAttention', versions: { 1: offboardingNeedsAttentionV1 } },
  { type: 'OffboardingStepRetried', versions: { 1: offboardingStepRetriedV1 } },
  { type: 'OffboardingStepStarted', versions: { 1: offboardingStepStartedV1 } },
  { type: 'OffboardingCommandAnswered', versions: { 1: offboardingCommandAnsweredV1 } },
];
