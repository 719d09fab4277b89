import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@warden/event-store';
import { pruneInbox } from '@warden/messaging';
import { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { PeriodicSweep } from './periodic-sweep';
import { CONFIG } from './tokens';

/**
 * Keeps the service's inbox (`processed_messages`) to `INBOX_RETENTION_DAYS`: at start and every
 * `INBOX_SWEEP_MS`, the records older than that are deleted for the consumer groups that record
 * their positions (`pruneInbox`). Without it the table grows by one row per event consumed, for
 * ever. `sweep()` resolves with the records deleted.
 */
@Injectable()
export class InboxRetention extends PeriodicSweep<number> {
  constructor(
    @Inject(CONFIG) private readonly config: BaseConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {
    super({ name: 'InboxRetention', intervalMs: config.INBOX_SWEEP_MS, failed: 0 });
  }

  protected async round(now: Date, shouldStop: () => boolean): Promise<number> {
    const olderThan = new Date(now.getTime() - this.config.INBOX_RETENTION_DAYS * 86_400_000);
    const started = Date.now();
    const deleted = await pruneInbox(this.dataSource, this.store.schema, { olderThan, shouldStop });
    if (deleted) this.logger.log({ deleted, olderThan: olderThan.toISOString(), ms: Date.now() - started }, 'inbox retention: old records deleted');
    return deleted;
  }
}
