import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { createIndexOnline } from './event-store.migrations';
import { quoteSchema } from './event-store.sql';

/** Index builds of migrations that run outside a transaction, on a real Postgres. */
describe('createIndexOnline', () => {
  let dataSource: DataSource;
  let schema: string;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('online-index'));
    await dataSource.query(`CREATE TABLE ${quoteSchema(schema)}.items (a integer NOT NULL, b text)`);
  });
  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  const validity = async (name: string): Promise<boolean[]> =>
    (
      (await dataSource.query(
        `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2`,
        [schema, name],
      )) as Array<{ valid: boolean }>
    ).map((row) => row.valid);

  const build = async (name: string, spec: string, onlineAboveBytes?: number): Promise<void> => {
    const runner = dataSource.createQueryRunner();
    try {
      await createIndexOnline(runner, schema, name, 'items', spec, { onlineAboveBytes });
    } finally {
      await runner.release();
    }
  };

  it.each([
    ['plainly (a small table)', undefined],
    ['concurrently (a table over the size)', 0],
  ])('builds the index %s, and leaves a valid one alone when run again', async (_how, onlineAboveBytes) => {
    const name = `items_a_${onlineAboveBytes ?? 'plain'}`;
    await build(name, '(a)', onlineAboveBytes);
    expect(await validity(name)).toEqual([true]);
    await build(name, '(a)', onlineAboveBytes);
    expect(await validity(name)).toEqual([true]);
  });

  it('replaces an invalid index left by an interrupted concurrent build', async () => {
    await dataSource.query(`INSERT INTO ${quoteSchema(schema)}.items (a) VALUES (1), (1)`);
    // A unique build over duplicates fails and leaves its index behind, invalid.
    await expect(dataSource.query(`CREATE UNIQUE INDEX CONCURRENTLY items_b ON ${quoteSchema(schema)}.items (a)`)).rejects.toThrow(/duplicate|unique/i);
    expect(await validity('items_b')).toEqual([false]);
    await build('items_b', '(a) WHERE b IS NULL', 0);
    expect(await validity('items_b')).toEqual([true]);
  });
});
