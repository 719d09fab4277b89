import { z } from 'zod';
import { actorSchema } from '../lib/envelope';

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

/** The command types and their payload schemas. */
export const commandSchemas = {
  TransferCustomers: transferCustomersCommand,
  CancelUserExports: cancelUserExportsCommand,
} as const;
export type CommandType = keyof typeof commandSchemas;
