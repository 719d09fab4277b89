import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { systemMetadata } from '../core/request-metadata';
import { GrantService } from './grant.service';

/** How often expired grants are recorded as such. Enforcement never waits for it. */
export const GRANT_EXPIRY_SWEEP_MS = 30_000;

/**
 * Every 30 s, records `GrantExpired` for grants past their expiry, as the service's named system
 * principal. Only bookkeeping: `compileAbility` and the evaluator drop an expired grant by time.
 */
@Injectable()
export class GrantExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GrantExpiry');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly grants: GrantService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), GRANT_EXPIRY_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round; a round still running is not overlapped. */
  sweep(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.grants
      .expireDue(systemMetadata('grant-expiry'))
      .then((expired) => {
        if (expired > 0) this.logger.log({ expired }, 'recorded expired grants');
      })
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'grant expiry sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
