import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
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
 * ever.
 */
@Injectable()
export class InboxRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InboxRetention');
  private readonly sweeper: PeriodicSweep<number>;

  constructor(
    @Inject(CONFIG) private readonly config: BaseConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {
    this.sweeper = new PeriodicSweep({
      name: 'inbox retention sweep',
      intervalMs: config.INBOX_SWEEP_MS,
      round: (now, shouldStop) => this.round(now, shouldStop),
      failed: 0,
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
  }

  /** One sweep as of `now` (joins the one under way); resolves with the records deleted. */
  sweep(now: Date = new Date()): Promise<number> {
    return this.sweeper.run(now);
  }

  private async round(now: Date, shouldStop: () => boolean): Promise<number> {
    const olderThan = new Date(now.getTime() - this.config.INBOX_RETENTION_DAYS * 86_400_000);
    const started = Date.now();
    const deleted = await pruneInbox(this.dataSource, this.store.schema, { olderThan, shouldStop });
    if (deleted) this.logger.log({ deleted, olderThan: olderThan.toISOString(), ms: Date.now() - started }, 'inbox retention: old records deleted');
    return deleted;
  }
}
