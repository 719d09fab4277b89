import { CodedError, type CustomersTransferEvent, type CustomersTransferRequestedData } from '@warden/contracts';

export enum TransferErrorCode {
  NotFound = 'TRANSFER_NOT_FOUND',
  Invalid = 'TRANSFER_INVALID',
  Conflict = 'TRANSFER_CONFLICT',
}

const statusOf: Record<TransferErrorCode, number> = {
  [TransferErrorCode.NotFound]: 404,
  [TransferErrorCode.Invalid]: 400,
  [TransferErrorCode.Conflict]: 409,
};

export class TransferError extends CodedError<TransferErrorCode> {
  constructor(code: TransferErrorCode, message: string) {
    super(code, message, statusOf);
  }
}

/** Starts a transfer (idempotent: the same request again decides nothing). */
export type RequestTransfer = { type: 'RequestTransfer'; data: CustomersTransferRequestedData };

/**
 * One batch moved `moved` customers; `remaining` still belong to the leaver after it. The last
 * batch (`remaining` 0) also closes the transfer.
 */
export type RecordTransferBatch = { type: 'RecordTransferBatch'; data: { transferId: string; moved: number; remaining: number } };

export type TransferCommand = RequestTransfer | RecordTransferBatch;

export type TransferState =
  | { status: 'none' }
  | ({ status: 'running' | 'completed'; done: number; total: number } & CustomersTransferRequestedData);

export const initialTransferState: TransferState = { status: 'none' };

/** The new owner of the `n`-th customer moved (0-based over the whole transfer): one user, or the pool in turn. */
export function recipientOf(transfer: Pick<CustomersTransferRequestedData, 'toUserId' | 'toPoolUserIds'>, n: number): string {
  if (transfer.toUserId !== null) return transfer.toUserId;
  const pool = transfer.toPoolUserIds as string[];
  return pool[n % pool.length];
}

function validate(data: CustomersTransferRequestedData): void {
  const invalid = (why: string) => new TransferError(TransferErrorCode.Invalid, `transfer ${data.transferId}: ${why}`);
  const pool = data.toPoolUserIds;
  if ((data.toUserId === null) === (pool === null)) throw invalid('give exactly one of toUserId and toPoolUserIds');
  if (pool !== null && pool.length === 0) throw invalid('toPoolUserIds must not be empty');
  if (data.toUserId === data.fromUserId || pool?.includes(data.fromUserId)) {
    throw invalid('the customers cannot be transferred to the user they are taken from');
  }
}

const sameRequest = (a: CustomersTransferRequestedData, b: CustomersTransferRequestedData): boolean =>
  a.fromUserId === b.fromUserId &&
  a.toUserId === b.toUserId &&
  JSON.stringify(a.toPoolUserIds) === JSON.stringify(b.toPoolUserIds);

/** Pure: what a command on a transfer produces. */
export function decideTransfer(command: TransferCommand, state: TransferState): CustomersTransferEvent[] {
  switch (command.type) {
    case 'RequestTransfer': {
      validate(command.data);
      if (state.status === 'none') {
        const { toPoolUserIds, ...rest } = command.data;
        return [{ type: 'CustomersTransferRequested', data: { ...rest, toPoolUserIds: toPoolUserIds && [...toPoolUserIds] } }];
      }
      if (sameRequest(state, command.data)) return [];
      throw new TransferError(
        TransferErrorCode.Conflict,
        `transfer ${command.data.transferId} already exists with other users`,
      );
    }
    case 'RecordTransferBatch': {
      const { transferId, moved, remaining } = command.data;
      if (state.status === 'none') throw new TransferError(TransferErrorCode.NotFound, `transfer ${transferId} not found`);
      if (state.status === 'completed') return [];
      const done = state.done + moved;
      const events: CustomersTransferEvent[] = [
        { type: 'CustomersTransferProgressed', data: { transferId, done, total: done + remaining } },
      ];
      if (remaining === 0) {
        const { fromUserId, toUserId, toPoolUserIds } = state;
        events.push({ type: 'CustomersTransferred', data: { transferId, fromUserId, toUserId, toPoolUserIds, count: done } });
      }
      return events;
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as TransferCommand).type}`);
    }
  }
}

/** Pure: the transfer after an event. */
export function evolveTransfer(state: TransferState, event: CustomersTransferEvent): TransferState {
  switch (event.type) {
    case 'CustomersTransferRequested':
      return { status: 'running', ...event.data, done: 0, total: 0 };
    case 'CustomersTransferProgressed':
      if (state.status === 'none') return state;
      return { ...state, done: event.data.done, total: event.data.total };
    case 'CustomersTransferred':
      if (state.status === 'none') return state;
      return { ...state, status: 'completed', done: event.data.count };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as CustomersTransferEvent).type}`);
    }
  }
}

export const transferDecider = { initialState: initialTransferState, decide: decideTransfer, evolve: evolveTransfer };
