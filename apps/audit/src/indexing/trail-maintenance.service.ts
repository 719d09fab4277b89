import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { AuditConfig } from '../core/config';
import { TrailIndexer } from './trail-indexer';

const monthStart = (d: Date, add = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1));
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Creates the month partitions ahead of time and applies retention: a partition whose whole month
 * is older than the retention (never under 6 months, see config) is recorded and dropped. Nothing
 * else ever removes a row.
 */
@Injectable()
export class TrailMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrailMaintenance');
  private readonly s: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    private readonly dataSource: DataSource,
    private readonly indexer: TrailIndexer,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.createAhead();
    this.timer = setInterval(() => {
      this.running = this.run().catch((error: unknown) =>
        this.logger.warn({ error: (error as Error).message }, 'trail maintenance failed; trying again later'),
      );
    }, this.config.AUDIT_MAINTENANCE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async run(now = new Date()): Promise<{ created: string[]; dropped: string[] }> {
    return { created: await this.createAhead(now), dropped: await this.applyRetention(now) };
  }

  async createAhead(now = new Date()): Promise<string[]> {
    const created: string[] = [];
    for (let i = 0; i <= this.config.AUDIT_PARTITIONS_AHEAD; i += 1) {
      const rows: Array<{ name: string }> = await this.dataSource.query(`SELECT ${this.s}.ensure_trail_partition($1::date) AS name`, [
        isoDay(monthStart(now, i)),
      ]);
      created.push(rows[0].name);
    }
    return created;
  }

  /** Drops the partitions of months that ended before `now − retention`. */
  async applyRetention(now = new Date()): Promise<string[]> {
    const horizon = monthStart(now, -this.config.AUDIT_RETENTION_MONTHS);
    const partitions: Array<{ name: string; month: string }> = await this.dataSource.query(
      `SELECT c.relname AS name, to_char(to_date(substring(c.relname from 7), 'YYYY_MM'), 'YYYY-MM-DD') AS month
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE n.nspname = $1 AND p.relname = 'trail' AND c.relname ~ '^trail_[0-9]{4}_[0-9]{2}$'`,
      [this.config.AUDIT_DB_SCHEMA],
    );
    const dropped: string[] = [];
    for (const p of partitions) {
      // The whole month must be past the horizon: its end (next month's start) ≤ horizon.
      if (monthStart(new Date(`${p.month}T00:00:00Z`), 1).getTime() > horizon.getTime()) continue;
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO ${this.s}.retention_drops (partition, month_start) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
          p.name,
          p.month,
        ]);
        await manager.query(`DROP TABLE ${this.s}.${quoteSchema(p.name)}`);
      });
      dropped.push(p.name);
      this.logger.log({ partition: p.name }, 'retention: dropped a month of the trail');
    }
    if (dropped.length) this.indexer.forgetPartitions();
    return dropped;
  }
}
