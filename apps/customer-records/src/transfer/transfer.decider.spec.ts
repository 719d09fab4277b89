import type { CustomersTransferEvent, CustomersTransferRequestedData } from '@warden/contracts';
import { v4 as uuidv4 } from 'uuid';
import {
  decideTransfer,
  evolveTransfer,
  initialTransferState,
  recipientOf,
  TransferError,
  TransferErrorCode,
  type TransferCommand,
  type TransferState,
} from './transfer.decider';

function given(past: readonly CustomersTransferEvent[]) {
  const state = past.reduce<TransferState>(evolveTransfer, initialTransferState);
  return {
    when(command: TransferCommand) {
      const run = () => decideTransfer(command, state);
      return {
        then: (expected: readonly CustomersTransferEvent[]) => expect(run()).toEqual(expected),
        thenThrows(code: TransferErrorCode, status: number) {
          expect(run).toThrow(TransferError);
          try {
            run();
          } catch (error) {
            expect(error).toMatchObject({ code, status });
          }
        },
      };
    },
  };
}

describe('Ownership transfer', () => {
  const transferId = uuidv4();
  const request = (overrides: Partial<CustomersTransferRequestedData> = {}): CustomersTransferRequestedData => ({
    transferId,
    fromUserId: 'leaver',
    toUserId: 'successor',
    toPoolUserIds: null,
    reason: 'offboarding:case-7',
    ...overrides,
  });
  const requested = (data = request()): CustomersTransferEvent => ({ type: 'CustomersTransferRequested', data });
  const batch = (moved: number, remaining: number): TransferCommand => ({
    type: 'RecordTransferBatch',
    data: { transferId, moved, remaining },
  });

  describe('RequestTransfer', () => {
    it('records CustomersTransferRequested for a new transfer', () => {
      given([]).when({ type: 'RequestTransfer', data: request() }).then([requested()]);
    });

    it('records nothing when the same transfer is requested again (a redelivered command)', () => {
      given([requested()]).when({ type: 'RequestTransfer', data: request({ reason: 'again' }) }).then([]);
    });

    it('refuses the same transfer id with other users (TRANSFER_CONFLICT, 409)', () => {
      given([requested()]).when({ type: 'RequestTransfer', data: request({ toUserId: 'someone-else' }) }).thenThrows(TransferErrorCode.Conflict, 409);
    });

    it('refuses a request without exactly one target, an empty pool or the leaver as target (TRANSFER_INVALID, 400)', () => {
      for (const bad of [
        request({ toUserId: null }),
        request({ toPoolUserIds: ['a'] }),
        request({ toUserId: null, toPoolUserIds: [] }),
        request({ toUserId: 'leaver' }),
        request({ toUserId: null, toPoolUserIds: ['a', 'leaver'] }),
      ]) {
        given([]).when({ type: 'RequestTransfer', data: bad }).thenThrows(TransferErrorCode.Invalid, 400);
      }
    });
  });

  describe('RecordTransferBatch', () => {
    it('records progress with the running count and the total known now', () => {
      const progressed: CustomersTransferEvent = { type: 'CustomersTransferProgressed', data: { transferId, done: 1000, total: 2000 } };
      given([requested(), { type: 'CustomersTransferProgressed', data: { transferId, done: 500, total: 2000 } }])
        .when(batch(500, 1000))
        .then([progressed]);
    });

    it('closes the transfer with CustomersTransferred after the last batch', () => {
      given([requested(), { type: 'CustomersTransferProgressed', data: { transferId, done: 500, total: 700 } }])
        .when(batch(200, 0))
        .then([
          { type: 'CustomersTransferProgressed', data: { transferId, done: 700, total: 700 } },
          { type: 'CustomersTransferred', data: { transferId, fromUserId: 'leaver', toUserId: 'successor', toPoolUserIds: null, count: 700 } },
        ]);
    });

    it('closes a transfer of a user without customers with a count of 0', () => {
      given([requested()]).when(batch(0, 0)).then([
        { type: 'CustomersTransferProgressed', data: { transferId, done: 0, total: 0 } },
        { type: 'CustomersTransferred', data: { transferId, fromUserId: 'leaver', toUserId: 'successor', toPoolUserIds: null, count: 0 } },
      ]);
    });

    it('records nothing for a completed transfer and refuses an unknown one (404)', () => {
      const done: CustomersTransferEvent = { type: 'CustomersTransferred', data: { transferId, fromUserId: 'leaver', toUserId: 'successor', toPoolUserIds: null, count: 3 } };
      given([requested(), done]).when(batch(0, 0)).then([]);
      given([]).when(batch(1, 0)).thenThrows(TransferErrorCode.NotFound, 404);
    });
  });

  describe('recipientOf', () => {
    it('gives every customer to the one successor, or to the pool in turn over the whole transfer', () => {
      expect([0, 1, 2].map((n) => recipientOf(request(), n))).toEqual(['successor', 'successor', 'successor']);
      const pool = request({ toUserId: null, toPoolUserIds: ['a', 'b', 'c'] });
      expect([0, 1, 2, 3, 500, 501].map((n) => recipientOf(pool, n))).toEqual(['a', 'b', 'c', 'a', 'c', 'a']);
    });
  });
});
