import { transferCustomersCommand } from '@warden/contracts';
import { z } from 'zod';

/**
 * `POST /v1/customers/transfers`: the `TransferCustomers` command's data (`transferId` optional: a
 * client that retries sends the same one).
 */
export const requestTransferBody = transferCustomersCommand
  .extend({
    transferId: z.uuid({ message: 'must be a UUID' }).optional(),
    toUserId: transferCustomersCommand.shape.toUserId.default(null),
    toPoolUserIds: transferCustomersCommand.shape.toPoolUserIds.default(null),
  })
  .superRefine((body, ctx) => {
    if ((body.toUserId === null) === (body.toPoolUserIds === null || body.toPoolUserIds.length === 0)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of toUserId and toPoolUserIds (not empty)' });
    }
    if (body.toUserId === body.fromUserId || body.toPoolUserIds?.includes(body.fromUserId)) {
      ctx.addIssue({ code: 'custom', path: ['fromUserId'], message: 'must differ from the users the customers go to' });
    }
  });
export type RequestTransferBody = z.infer<typeof requestTransferBody>;

export const transferIdParam = z.uuid({ message: 'must be a transfer id (UUID)' });

export type TransferView = {
  transferId: string;
  fromUserId: string;
  toUserId: string | null;
  toPoolUserIds: string[] | null;
  reason: string;
  status: 'running' | 'completed';
  done: number;
  total: number | null;
  requestedBy: string;
  requestedAt: string;
  completedAt: string | null;
};
