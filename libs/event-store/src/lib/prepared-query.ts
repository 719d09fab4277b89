import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a statement as a named prepared statement: parsed and planned once per connection, then
 * executed by name. Worth it for hot statements whose planning costs as much as their execution
 * (a primary-key read of a wide table with many indexes, the event store's appends). Runs on the
 * transaction's connection when `manager` belongs to one, else on a pooled connection.
 *
 * Each connection keeps one prepared statement per distinct text for its life, so texts must come
 * from a small fixed set (values only ever as parameters). A statement whose best plan depends on
 * its values (skewed filters) is better left unprepared: after five runs Postgres may keep one
 * generic plan for every value.
 */
export async function preparedQuery<R>(dataSource: DataSource, manager: EntityManager, text: string, values: unknown[]): Promise<R[]> {
  const name = `warden_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  const runner = manager.queryRunner;
  if (runner && !runner.isReleased) {
    const client = (await runner.connect()) as PoolClient;
    return (await client.query<R & QueryResultRow>({ name, text, values })).rows;
  }
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return (await pool.query<R & QueryResultRow>({ name, text, values })).rows;
}
