import { transferStreamId, type CommandEnvelope, type CustomersTransferEvent, type TransferCustomersCommand } from '@warden/contracts';
import { EventStore, quoteSchema, StreamVersionConflict, type CommandMetadata } from '@warden/event-store';
import type { DataSource, EntityManager } from 'typeorm';
import type { CustomerService } from '../customer/customer.service';
import { evolveTransfer, initialTransferState, recipientOf, transferDecider, type TransferState } from './transfer.decider';

export type TransferProcessorOptions = {
  /** Customers moved per batch (one transaction each). */
  batchSize?: number;
  /** How often running transfers are looked for (ms), besides `kick`. */
  pollMs?: number;
  logger?: { warn(message: string, context?: Record<string, unknown>): void };
  /** Runs inside each batch's transaction before it commits (tests use it to crash mid-way). */
  beforeCommit?: (transferId: string, moved: number) => Promise<void>;
};

/**
 * Ownership transfers (offboarding hand-over). `request` records `CustomersTransferRequested` on
 * `transfer-<transferId>` (in the consumer's inbox transaction); the processor then moves the
 * customers in batches. Each batch is one transaction: a `CustomerOwnerChanged` on each customer's
 * stream and `CustomersTransferProgressed` (with `CustomersTransferred` after the last) on the
 * transfer's stream, so a crash loses at most the batch in flight, which is done again on restart:
 * the customers still owned by the leaver are exactly those left to move. Instances serialise on
 * the transfer's row (`FOR UPDATE SKIP LOCKED`). Every event's causation id is the command's id.
 */
export class CustomerTransferProcessor {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pass: Promise<void> | null = null;
  private again = false;
  private readonly s: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly customers: CustomerService,
    private readonly options: TransferProcessorOptions = {},
  ) {
    this.s = quoteSchema(store.schema);
  }

  /** Records the request (idempotent by transfer id: the same request again decides nothing). */
  async request(command: CommandEnvelope<TransferCustomersCommand>, manager: EntityManager): Promise<void> {
    const { toPoolUserIds, ...data } = command.data;
    const metadata: CommandMetadata = {
      actor: command.actor,
      correlationId: command.correlationId,
      causationId: command.commandId,
      now: new Date(),
    };
    await this.store.handle(
      transferStreamId(data.transferId),
      transferDecider,
      { type: 'RequestTransfer', data: { ...data, toPoolUserIds: toPoolUserIds?.length ? toPoolUserIds : null } },
      { metadata, manager },
    );
  }

  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 1000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pass;
  }

  /** Looks for work now (after a request was recorded); a pass in progress looks again when done. */
  kick(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.drain()
      .catch((error: unknown) => this.options.logger?.warn('transfer pass failed; retrying', { error: (error as Error).message }))
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Runs every running transfer to its end (or until stopped). */
  async drain(): Promise<void> {
    const rows: Array<{ transfer_id: string }> = await this.dataSource.query(
      `SELECT transfer_id FROM ${this.s}.customer_transfers WHERE status = 'running' ORDER BY requested_at`,
    );
    for (const { transfer_id: transferId } of rows) {
      while (this.running && (await this.runBatch(transferId)) === 'more');
    }
  }

  /**
   * Moves the next batch of one transfer; `done` when it is complete (or another instance holds it).
   * The batch's owner changes are written together (`CustomerService.changeOwners`: one read, one
   * append); if a customer of the batch was written meanwhile, the batch is done again one
   * customer at a time, each retried on its own.
   */
  async runBatch(transferId: string): Promise<'more' | 'done'> {
    try {
      return await this.moveBatch(transferId, 'together');
    } catch (error) {
      if (!(error instanceof StreamVersionConflict)) throw error;
      return this.moveBatch(transferId, 'one by one');
    }
  }

  private async moveBatch(transferId: string, mode: 'together' | 'one by one'): Promise<'more' | 'done'> {
    return this.dataSource.transaction(async (manager) => {
      const locked: Array<{ status: string }> = await manager.query(
        `SELECT status FROM ${this.s}.customer_transfers WHERE transfer_id = $1 FOR UPDATE SKIP LOCKED`,
        [transferId],
      );
      if (locked.length === 0 || locked[0].status !== 'running') return 'done';
      const events = await this.store.readStream(transferStreamId(transferId), manager);
      const state = events.reduce<TransferState>(
        (current, event) => evolveTransfer(current, event as unknown as CustomersTransferEvent),
        initialTransferState,
      );
      if (state.status !== 'running') return 'done';
      const [requested] = events;
      const metadata: CommandMetadata = {
        actor: requested.actor,
        correlationId: requested.correlationId,
        causationId: requested.causationId,
        now: new Date(),
      };
      const batch: Array<{ id: string; remaining: number }> = await manager.query(
        `SELECT id, count(*) OVER ()::int AS remaining FROM ${this.s}.customers
         WHERE owner_id = $1 AND status <> 'erased' ORDER BY id LIMIT $2`,
        [state.fromUserId, this.options.batchSize ?? 500],
      );
      const before = batch[0]?.remaining ?? 0;
      const changes = batch.map(({ id }, i) => ({ customerId: id, toOwnerId: recipientOf(state, state.done + i), transferId, reason: state.reason }));
      if (mode === 'together') await this.customers.changeOwners(changes, metadata, manager);
      else {
        for (const data of changes) await this.customers.appendToCustomer(data.customerId, { type: 'ChangeCustomerOwner', data }, metadata, manager);
      }
      await this.options.beforeCommit?.(transferId, batch.length);
      const remaining = before - batch.length;
      await this.store.handle(
        transferStreamId(transferId),
        transferDecider,
        { type: 'RecordTransferBatch', data: { transferId, moved: batch.length, remaining } },
        { metadata, manager },
      );
      return remaining === 0 ? 'done' : 'more';
    });
  }
}
