import type { DataKeyStore, StoredDataKey, WrappedKey } from '@warden/crypto';
import { quoteSchema } from '@warden/event-store';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

type DataKeyRow = { subject_id: string; kek_version: number; ciphertext: string };

/**
 * Each customer's wrapped data key in `<schema>.customer_data_keys`. The only table of the
 * service that holds key material (wrapped); deleting a row crypto-shreds the customer.
 */
export class PostgresDataKeyStore implements DataKeyStore {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.customer_data_keys`;
  }

  async get(subjectId: string): Promise<WrappedKey | null> {
    const rows: DataKeyRow[] = await this.dataSource.query(
      `SELECT subject_id, kek_version, ciphertext FROM ${this.table} WHERE subject_id = $1`,
      [subjectId],
    );
    return rows.length === 0 ? null : { kekVersion: rows[0].kek_version, ciphertext: rows[0].ciphertext };
  }

  /** The keys of many subjects with one query (by primary key); subjects without a key are absent. */
  async getMany(subjectIds: readonly string[]): Promise<Map<string, WrappedKey>> {
    if (subjectIds.length === 0) return new Map();
    const rows: DataKeyRow[] = await this.dataSource.query(
      `SELECT subject_id, kek_version, ciphertext FROM ${this.table} WHERE subject_id = ANY($1::text[])`,
      [subjectIds],
    );
    return new Map(rows.map((row) => [row.subject_id, { kekVersion: row.kek_version, ciphertext: row.ciphertext }]));
  }

  /** Insert-if-absent (`expected === null`) or compare-and-set against `expected`; whether it wrote. */
  async put(subjectId: string, wrapped: WrappedKey, expected: WrappedKey | null): Promise<boolean> {
    // Wrapped in a CTE so that both statements answer with one row, whatever the driver does with
    // an UPDATE's result.
    const [{ written }]: Array<{ written: number }> =
      expected === null
        ? await this.dataSource.query(
            `WITH w AS (
               INSERT INTO ${this.table} (subject_id, kek_version, ciphertext) VALUES ($1, $2, $3)
               ON CONFLICT (subject_id) DO NOTHING RETURNING 1)
             SELECT count(*)::int AS written FROM w`,
            [subjectId, wrapped.kekVersion, wrapped.ciphertext],
          )
        : await this.dataSource.query(
            `WITH w AS (
               UPDATE ${this.table} SET kek_version = $2, ciphertext = $3, updated_at = now()
               WHERE subject_id = $1 AND kek_version = $4 AND ciphertext = $5 RETURNING 1)
             SELECT count(*)::int AS written FROM w`,
            [subjectId, wrapped.kekVersion, wrapped.ciphertext, expected.kekVersion, expected.ciphertext],
          );
    return written > 0;
  }

  /** Insert-if-absent of many keys with one statement; the subjects whose key was stored. */
  async putNewMany(entries: ReadonlyArray<{ subjectId: string; wrapped: WrappedKey }>): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const rows: Array<{ subject_id: string }> = await this.dataSource.query(
      `INSERT INTO ${this.table} (subject_id, kek_version, ciphertext)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[])
       ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id`,
      [entries.map((e) => e.subjectId), entries.map((e) => e.wrapped.kekVersion), entries.map((e) => e.wrapped.ciphertext)],
    );
    return new Set(rows.map((row) => row.subject_id));
  }

  async delete(subjectId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE subject_id = $1`, [subjectId]);
  }

  async list(afterSubjectId: string | null, limit: number): Promise<StoredDataKey[]> {
    const rows: DataKeyRow[] = await this.dataSource.query(
      `SELECT subject_id, kek_version, ciphertext FROM ${this.table}
       WHERE $1::text IS NULL OR subject_id > $1::text ORDER BY subject_id LIMIT $2`,
      [afterSubjectId, limit],
    );
    return rows.map((row) => ({
      subjectId: row.subject_id,
      wrapped: { kekVersion: row.kek_version, ciphertext: row.ciphertext },
    }));
  }

  async count(): Promise<number> {
    const [{ count }]: Array<{ count: string }> = await this.dataSource.query(
      `SELECT count(*) AS count FROM ${this.table}`,
    );
    return Number(count);
  }
}

export function dataKeyStoreMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerDataKeys1764800000000 implements MigrationInterface {
    name = 'CustomerDataKeys1764800000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      // COLLATE "C": byte order, so paging by subject id is stable whatever the database locale.
      await queryRunner.query(`
        CREATE TABLE ${s}.customer_data_keys (
          subject_id text COLLATE "C" PRIMARY KEY,
          kek_version integer NOT NULL CHECK (kek_version > 0),
          ciphertext text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(
        `CREATE INDEX customer_data_keys_kek_version ON ${s}.customer_data_keys (kek_version)`,
      );
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customer_data_keys`);
    }
  }
  return [CustomerDataKeys1764800000000];
}
