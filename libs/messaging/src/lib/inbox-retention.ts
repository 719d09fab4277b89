import { quoteSchema } from '@warden/event-store';
import type { DataSource } from 'typeorm';

export type PruneInboxOptions = {
  /** Inbox records processed before this are deleted. */
  olderThan: Date;
  /** Records deleted per statement (each statement its own short transaction); default 5,000. */
  batchSize?: number;
  /** Checked between statements: a long sweep stops early when the service shuts down. */
  shouldStop?: () => boolean;
};

/**
 * Deletes the inbox records (`processed_messages`) processed before `olderThan`, for the consumer
 * groups that record their positions (`consumer_positions`, kept by `EventConsumer`); returns how
 * many. Such a group never reads a message behind its recorded position again, even when Kafka
 * loses its offsets, so an old record no longer guards anything: the inbox only has to cover
 * redeliveries, which come within seconds or minutes. Records of other consumers (written by hand
 * outside `EventConsumer`) are left alone. Rows are taken with `SKIP LOCKED`, so instances of a
 * service sweeping at once share the work.
 */
export async function pruneInbox(dataSource: DataSource, schema: string, options: PruneInboxOptions): Promise<number> {
  const s = quoteSchema(schema);
  const batchSize = options.batchSize ?? 5000;
  const consumers: Array<{ consumer: string }> = await dataSource.query(`SELECT DISTINCT consumer FROM ${s}.consumer_positions`);
  let deleted = 0;
  for (const { consumer } of consumers) {
    for (;;) {
      if (options.shouldStop?.()) return deleted;
      const rows: Array<{ n: number }> = await dataSource.query(
        `WITH doomed AS (
           SELECT ctid FROM ${s}.processed_messages
           WHERE consumer = $1 AND processed_at < $2
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         ), gone AS (
           DELETE FROM ${s}.processed_messages m USING doomed WHERE m.ctid = doomed.ctid RETURNING 1
         )
         SELECT count(*)::int AS n FROM gone`,
        [consumer, options.olderThan, batchSize],
      );
      deleted += rows[0].n;
      if (rows[0].n < batchSize) break;
    }
  }
  return deleted;
}
