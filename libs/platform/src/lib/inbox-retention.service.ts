import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore } from '@warden/event-store';
import { pruneInbox } from '@warden/messaging';
import { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { CONFIG } from './tokens';

/**
 * Keeps the service's inbox (`processed_messages`) to `INBOX_RETENTION_DAYS`: at start and every
 * `INBOX_SWEEP_MS`, the records older than that are deleted for the consumer groups that record
 * their positions (`pruneInbox`). Without it the table grows by one row per event consumed, for
 * ever. A failed sweep is logged and tried again at the next interval.
 */
@Injectable()
export class InboxRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InboxRetention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopping = false;

  constructor(
    @Inject(CONFIG) private readonly config: BaseConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.INBOX_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep (joins the one under way); resolves with the records deleted. */
  sweep(now: Date = new Date()): Promise<number> {
    if (this.running) return this.running;
    const olderThan = new Date(now.getTime() - this.config.INBOX_RETENTION_DAYS * 86_400_000);
    const started = Date.now();
    this.running = pruneInbox(this.dataSource, this.store.schema, { olderThan, shouldStop: () => this.stopping })
      .then((deleted) => {
        if (deleted) this.logger.log({ deleted, olderThan: olderThan.toISOString(), ms: Date.now() - started }, 'inbox retention: old records deleted');
        return deleted;
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'inbox retention sweep failed; next try at the next interval');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
