import { z } from 'zod';
import { actorSchema } from '../lib/envelope';
import type { EventSpec } from '../lib/registry';

/**
 * Commands one service sends another over Kafka (`Topics.commands(<service>)`), keyed by the
 * target aggregate. The receiver answers with events on its own events topic that carry the
 * command's `commandId` as their causation id and its `correlationId` unchanged. Every command is
 * idempotent by `commandId`: a redelivered command has no second effect.
 */
export const commandEnvelopeSchema = z.strictObject({
  commandId: z.uuid(),
  type: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'must be a PascalCase command name'),
  issuedAt: z.iso.datetime({ offset: true }),
  actor: actorSchema,
  correlationId: z.string().min(1).max(200),
  data: z.record(z.string(), z.unknown()),
});
export type CommandEnvelope<TData = Record<string, unknown>> = Omit<
  z.infer<typeof commandEnvelopeSchema>,
  'data'
> & { data: TData };

const id = z.string().min(1).max(200);

/**
 * To customer-records: transfer every customer owned by `fromUserId` to `toUserId` (or spread them
 * over the users of `toPoolUserIds`), in batches. Answered by `CustomersTransferProgressed` events
 * and a final `CustomersTransferred` summary on `transferId`'s stream.
 */
export const transferCustomersCommand = z.strictObject({
  transferId: z.uuid(),
  fromUserId: id,
  toUserId: id.nullable(),
  toPoolUserIds: z.array(id).max(500).nullable(),
  /** Why (e.g. `offboarding:<caseId>`), kept on the events. */
  reason: z.string().min(1).max(500),
});
export type TransferCustomersCommand = z.infer<typeof transferCustomersCommand>;

/** To exports: cancel every pending, approved or running export of a user and invalidate their download links. */
export const cancelUserExportsCommand = z.strictObject({
  userId: id,
  reason: z.string().min(1).max(500),
});
export type CancelUserExportsCommand = z.infer<typeof cancelUserExportsCommand>;

/**
 * To authorization: freeze the user (status `offboarded`, login disabled, every session, refresh
 * token and grant revoked). Answered by `CommandCompleted` with outcome `{sessionsRevoked,
 * grantsRevoked, alreadyFrozen}` (a user frozen before answers the first freeze's counts) or by
 * `CommandRejected` (unknown user).
 */
export const freezeUserAccessCommand = z.strictObject({
  userId: id,
  reason: z.string().min(1).max(500),
});
export type FreezeUserAccessCommand = z.infer<typeof freezeUserAccessCommand>;

/**
 * To authorization: the user leaves on `effectiveAt` (status `departing` until then). Answered by
 * `CommandCompleted` with outcome `{status, departingEffectiveAt}` (also when the user was marked
 * with that date already) or by `CommandRejected` (unknown or offboarded user).
 */
export const markUserDepartingCommand = z.strictObject({
  userId: id,
  effectiveAt: z.iso.datetime({ offset: true }),
});
export type MarkUserDepartingCommand = z.infer<typeof markUserDepartingCommand>;

/**
 * To audit: compile what the user did over the last `days` days from the trail. Answered by
 * `UserActivityCompiled` (the summary; a user the trail does not know has an empty one). A command
 * the audit cannot carry out is retried, then dead-lettered: the sender's answer timeout sends it
 * again.
 */
export const compileUserActivityCommand = z.strictObject({
  userId: id,
  days: z.number().int().min(1).max(366),
});
export type CompileUserActivityCommand = z.infer<typeof compileUserActivityCommand>;

/** The command types and their payload schemas. */
export const commandSchemas = {
  TransferCustomers: transferCustomersCommand,
  CancelUserExports: cancelUserExportsCommand,
  FreezeUserAccess: freezeUserAccessCommand,
  MarkUserDeparting: markUserDepartingCommand,
  CompileUserActivity: compileUserActivityCommand,
} as const;
export type CommandType = keyof typeof commandSchemas;

/** The service each command is sent to (its topic is `Topics.commands(<service>)`). */
export const commandTargets = {
  TransferCustomers: 'customer-records',
  CancelUserExports: 'exports',
  FreezeUserAccess: 'authorization',
  MarkUserDeparting: 'authorization',
  CompileUserActivity: 'audit',
} as const satisfies Record<CommandType, string>;

/**
 * The stream a command's answer (`CommandCompleted`, `CommandRejected`, `UserActivityCompiled`) is
 * appended to in the receiver's event store: one stream per command, so the answer of a command
 * handled twice (a redelivery that escaped the inbox) is refused by the stream's version.
 */
export const commandAnswerStreamId = (commandId: string): string => `command-${commandId}`;

const commandName = z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'must be a PascalCase command name');
const outcomeValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);

/**
 * A command was carried out. `outcome` holds what it did, per command (counts, the resulting
 * status): scalar values only, never sensitive ones. Carries the command's id as causation id and
 * its correlation id, like every event the command caused.
 */
export const commandCompletedV1 = z.strictObject({
  commandId: z.uuid(),
  command: commandName,
  outcome: z.record(z.string(), outcomeValue),
});
export type CommandCompletedData = z.infer<typeof commandCompletedV1>;

/**
 * A command could not be carried out and will not be by sending it again (`retryable: false`: an
 * unknown user, an offboarded user) or not now (`retryable: true`). `code` is the receiver's
 * error code; `message` names the problem (no sensitive value).
 */
export const commandRejectedV1 = z.strictObject({
  commandId: z.uuid(),
  command: commandName,
  code: z.string().min(1).max(100),
  message: z.string().min(1).max(1000),
  retryable: z.boolean(),
});
export type CommandRejectedData = z.infer<typeof commandRejectedV1>;

export type CommandAnswerEvent =
  | { type: 'CommandCompleted'; data: CommandCompletedData }
  | { type: 'CommandRejected'; data: CommandRejectedData };

export const commandAnswerEventSpecs: EventSpec[] = [
  { type: 'CommandCompleted', versions: { 1: commandCompletedV1 } },
  { type: 'CommandRejected', versions: { 1: commandRejectedV1 } },
];
