import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

export type PeriodicSweepSettings<T> = {
  /** The logger's context, also naming the sweep in the log line of a failure. */
  name: string;
  intervalMs: number;
  /** What a failed round resolves with (the failure is logged; the next interval tries again). */
  failed: T;
};

/**
 * Background upkeep of a service (a Nest provider): a round at start and then every `intervalMs`
 * (the timer does not keep the process alive); one round at a time, a call during a round joins
 * it; a failure is logged and retried at the next interval; on shutdown the round under way is
 * asked to stop (`shouldStop`) and waited for.
 */
export abstract class PeriodicSweep<T> implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopping = false;

  protected constructor(private readonly settings: PeriodicSweepSettings<T>) {
    this.logger = new Logger(settings.name);
  }

  /** One round as of `now`; `shouldStop` turns true when the service shuts down (a long round stops early). */
  protected abstract round(now: Date, shouldStop: () => boolean): Promise<T>;

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.settings.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** A round as of `now` (tests pass a time; the timer the current one), or the one under way. */
  sweep(now: Date = new Date()): Promise<T> {
    if (this.running) return this.running;
    this.running = this.round(now, () => this.stopping)
      .catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, `${this.settings.name}: sweep failed; next try at the next interval`);
        return this.settings.failed;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
