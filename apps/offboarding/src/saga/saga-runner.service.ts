import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource, type QueryRunner } from 'typeorm';
import type { OffboardingConfig } from '../core/config';
import { CommandPublisher } from './command.publisher';
import { SagaService } from './saga.service';

/** Cases advanced per round (each visit is short: it ends by waiting for an answer or a date). */
const BATCH = 20;

/**
 * The saga's scheduler: one instance at a time (a Postgres session advisory lock, released when
 * the process dies) looks for cases whose next action is due — a date reached, a retry due, an
 * answer overdue — every `OFFBOARDING_SAGA_POLL_MS`, and at once after each append of this
 * process. Everything it needs is in Postgres, so a restart resumes where the last process stopped.
 */
@Injectable()
export class SagaRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SagaRunner');
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lock: QueryRunner | null = null;
  private woken = false;

  constructor(
    private readonly saga: SagaService,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly publisher: CommandPublisher,
    @Inject(CONFIG) private readonly config: OffboardingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.store.onAppend(() => this.nudge());
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    await this.releaseLock();
    await this.publisher.close();
  }

  /** Whether this instance holds the saga's lock (runs the saga). */
  get leading(): boolean {
    return this.lock !== null && !this.lock.isReleased;
  }

  nudge(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        if (await this.lead()) await this.round();
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'saga round failed');
        await this.releaseLock();
      }
      if (!this.woken) await this.sleep(this.config.OFFBOARDING_SAGA_POLL_MS);
    }
  }

  /** One round: every due case, visited one after the other. */
  async round(): Promise<number> {
    const due = await this.saga.dueCases(BATCH);
    for (const caseId of due) {
      if (!this.running) break;
      try {
        await this.saga.advance(caseId);
      } catch (error) {
        this.logger.warn({ caseId, err: (error as Error).message }, 'offboarding case visit failed');
      }
    }
    if (due.length === BATCH) this.woken = true;
    return due.length;
  }

  private async lead(): Promise<boolean> {
    if (this.lock && !this.lock.isReleased) {
      // The lock lives as long as its session: a broken connection (the error goes to run(), which
      // lets the lock go) must not leave this instance believing it still leads.
      await this.lock.query('SELECT 1');
      return true;
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [
      `warden.offboarding.saga.${this.store.schema}`,
    ])) as Array<{ locked: boolean }>;
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lock = runner;
    this.logger.log('this instance runs the offboarding saga');
    return true;
  }

  private async releaseLock(): Promise<void> {
    const runner = this.lock;
    this.lock = null;
    if (!runner || runner.isReleased) return;
    await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
