import type { Logger } from '@nestjs/common';

export type PeriodicSweepOptions<T> = {
  /** Named in the log line of a failure. */
  name: string;
  intervalMs: number;
  /** One round as of `now`; `shouldStop` turns true when the service shuts down (a long round stops early). */
  round: (now: Date, shouldStop: () => boolean) => Promise<T>;
  /** What a failed round resolves with (the failure is logged; the next interval tries again). */
  failed: T;
  logger: Logger;
};

/**
 * Background upkeep run at start and then every `intervalMs` (the timer does not keep the process
 * alive): one round at a time, a call during a round joins it, a failure is logged and retried at
 * the next interval, and `stop()` waits for the round under way after asking it to stop.
 */
export class PeriodicSweep<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopping = false;

  constructor(private readonly options: PeriodicSweepOptions<T>) {}

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** A round as of `now` (tests pass a time; the timer the current one), or the one under way. */
  run(now: Date = new Date()): Promise<T> {
    if (this.running) return this.running;
    this.running = this.options
      .round(now, () => this.stopping)
      .catch((error: unknown) => {
        this.options.logger.warn({ err: (error as Error).message }, `${this.options.name} failed; next try at the next interval`);
        return this.options.failed;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
