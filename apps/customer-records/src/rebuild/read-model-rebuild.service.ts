import { createHash } from 'node:crypto';
import type {
  CustomerRegisteredData,
  CustomerSensitiveFields,
  CustomerUpdatedData,
  EventEnvelope,
  EventRegistry,
} from '@warden/contracts';
import { SubjectShreddedError, type FieldCipher, type SubjectKeys } from '@warden/crypto';
import { LOG_START, quoteSchema, rowToEnvelope, type LogCheckpoint } from '@warden/event-store';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { writeCustomersClearColumns, type CustomerClearColumns } from '../customer/projections/customer-read-model.projection';
import { customerStreamId } from '../customer/customer.service';
import type { ReadModelProjection } from './read-model.projections';

export type RebuildPhase = 'build' | 'swap';

export type RebuildProgress = {
  phase: RebuildPhase;
  /** Events applied so far. */
  done: number;
  /** Events of the handled types in the log when the rebuild started (more may arrive). */
  total: number;
  eventsPerSecond: number;
};

export type RebuildResult = {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** How long the swap held the live tables' write lock (writers waited that long at most). */
  lockedSeconds: number;
  /** Rows of each rebuilt table after the swap. */
  rows: Record<string, number>;
};

export type ReadModelRebuildOptions = {
  dataSource: DataSource;
  /** The service's schema: its event store and read tables. */
  schema: string;
  registry: EventRegistry;
  /** Decrypts what the service writes in clear or masked beside the projections (names, masked forms). */
  cipher: FieldCipher;
  /** The service's projections for a schema (`readModelProjections`). */
  projections: (schema: string) => ReadModelProjection[];
  /** Events per read of the log. */
  batchSize?: number;
  /**
   * Transactions applying one read's events at once during the build, each taking whole streams
   * (a stream's events stay in order; the service's projections keep rows of one stream each).
   */
  parallelism?: number;
  /**
   * How long the build waits for the commit-safe horizon to move past committed events held
   * behind a long transaction before it leaves them to the swap (applied under its lock) (ms).
   */
  horizonWaitMs?: number;
  /** How long the swap waits for the read tables' lock before giving up (ms). */
  lockTimeoutMs?: number;
  onProgress?: (progress: RebuildProgress) => void;
};

/** The rebuild cannot run or could not finish; the live read tables are unchanged. */
export class ReadModelRebuildError extends Error {
  override readonly name = 'ReadModelRebuildError';
}

type EventRowSql = Parameters<typeof rowToEnvelope>[0];
type LogEvent = EventEnvelope & { transactionId: string };

const SENSITIVE_FIELDS = ['mobile', 'email', 'nationalId', 'address'] as const;
type SensitiveField = (typeof SENSITIVE_FIELDS)[number];

/** The shadow schema the tables are rebuilt in: `<schema>_rebuild`, shortened with a hash when too long. */
export function shadowSchemaOf(schema: string): string {
  const plain = `${schema}_rebuild`;
  if (plain.length <= 63) return plain;
  return `${schema.slice(0, 45)}_rb_${createHash('sha256').update(schema).digest('hex').slice(0, 12)}`;
}

/**
 * Rebuilds the service's read tables from its event store, through the service's own inline
 * projections, without taking the read model away from readers:
 *
 * 1. Build: each table is created empty in a shadow schema (`CREATE TABLE … (LIKE … INCLUDING
 *    ALL)`: same columns, defaults, constraints and indexes) and the whole log is replayed into it
 *    in the commit-safe log order of the relay (`readLog`), upcasting every stored event version:
 *    each read of the log is applied by a few transactions at once, each taking whole streams, so
 *    that every stream's events apply in order (the projections keep each row within one stream:
 *    a customer's, a transfer's). What the service writes beside the projection (names and company
 *    of v3 events, masked forms) is decrypted with the customer's data key and written with the
 *    service's own functions. A customer crypto-shredded since has no key: those writes are
 *    skipped and its `CustomerErased` purges the row as it did live.
 * 2. Swap, in one transaction: the live tables are locked against writes (`EXCLUSIVE`: readers go
 *    on), the events committed since the build read are applied to the shadow tables, and the live
 *    tables are made equal to the shadow's: rows that differ are deleted, missing ones inserted
 *    (rows already right are left alone). Readers see the old rows until the commit and the
 *    rebuilt ones after it; writers wait for the commit, then project onto the rebuilt rows.
 *
 * Nothing live changes until the swap commits: a failure or an interruption before leaves the
 * read model as it was (the shadow schema is dropped by the next run). One rebuild per schema at a
 * time (an advisory lock). Events are only read.
 */
export class ReadModelRebuilder {
  private readonly s: string;
  private readonly shadow: string;
  private readonly live: ReadModelProjection[];
  private readonly shadowProjections: ReadModelProjection[];
  private readonly handled: string[];
  private readonly batchSize: number;
  private readonly parallelism: number;
  private done = 0;
  private total = 0;
  private startedAt = 0;

  constructor(private readonly options: ReadModelRebuildOptions) {
    this.s = quoteSchema(options.schema);
    this.shadow = shadowSchemaOf(options.schema);
    quoteSchema(this.shadow);
    this.live = options.projections(options.schema);
    this.shadowProjections = options.projections(this.shadow);
    this.handled = [...new Set(this.live.flatMap((p) => [...p.projection.handles]))];
    this.batchSize = options.batchSize ?? 1000;
    this.parallelism = Math.max(1, options.parallelism ?? 4);
  }

  get tables(): string[] {
    return this.live.flatMap((p) => [...p.tables]);
  }

  async run(): Promise<RebuildResult> {
    const { dataSource } = this.options;
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      const [{ locked }]: Array<{ locked: boolean }> = await lock.query(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [`warden.read-model-rebuild.${this.options.schema}`],
      );
      if (!locked) throw new ReadModelRebuildError(`another rebuild of schema ${this.options.schema} is running`);
      try {
        return await this.rebuild();
      } finally {
        await dataSource.query(`DROP SCHEMA IF EXISTS ${quoteSchema(this.shadow)} CASCADE`).catch(() => undefined);
        await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`warden.read-model-rebuild.${this.options.schema}`]);
      }
    } finally {
      await lock.release();
    }
  }

  private async rebuild(): Promise<RebuildResult> {
    const { dataSource } = this.options;
    await this.assertLiveTables();
    const sh = quoteSchema(this.shadow);
    await dataSource.query(`DROP SCHEMA IF EXISTS ${sh} CASCADE`);
    await dataSource.query(`CREATE SCHEMA ${sh}`);
    for (const table of this.tables) {
      await dataSource.query(`CREATE TABLE ${sh}.${table} (LIKE ${this.s}.${table} INCLUDING ALL)`);
    }
    const [{ count }]: Array<{ count: string }> = await dataSource.query(
      `SELECT count(*) AS count FROM ${this.s}.events WHERE type = ANY($1::text[])`,
      [this.handled],
    );
    this.total = Number(count);
    this.done = 0;
    this.startedAt = performance.now();

    let checkpoint = LOG_START;
    let stalledSince: number | null = null;
    for (;;) {
      const events = await this.readEvents(dataSource.manager, checkpoint, true);
      if (events.length === 0) {
        // Nothing more below the commit-safe horizon. Committed events above it (behind a
        // transaction still running anywhere in the database) are left to the swap when they are
        // few, or when the horizon has not moved for a while; else wait for it to move.
        stalledSince ??= performance.now();
        const behind = await this.committedAfter(checkpoint);
        if (behind <= this.batchSize || performance.now() - stalledSince >= this.horizonWaitMs) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      stalledSince = null;
      await Promise.all(
        byStream(events, this.parallelism).map((part) => dataSource.transaction((manager) => this.applyToShadow(manager, part))),
      );
      checkpoint = { transactionId: events[events.length - 1].transactionId, globalPosition: events[events.length - 1].globalPosition };
      this.report('build');
    }

    const runner = dataSource.createQueryRunner();
    await runner.connect();
    let lockedSeconds = 0;
    try {
      await runner.startTransaction();
      const locked = await this.swap(runner, checkpoint);
      await runner.commitTransaction();
      lockedSeconds = (performance.now() - locked) / 1000;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if ((error as { code?: unknown }).code === '55P03') {
        throw new ReadModelRebuildError(
          `could not lock the read tables within ${this.lockTimeoutMs} ms (long transactions on them?); the read model is unchanged, run the rebuild again`,
        );
      }
      throw error;
    } finally {
      await runner.release();
    }
    this.report('swap');

    const rows: Record<string, number> = {};
    for (const table of this.tables) {
      await dataSource.query(`ANALYZE ${this.s}.${table}`);
      const [{ n }]: Array<{ n: string }> = await dataSource.query(`SELECT count(*) AS n FROM ${this.s}.${table}`);
      rows[table] = Number(n);
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    return { events: this.done, seconds, eventsPerSecond: this.done / seconds, lockedSeconds, rows };
  }

  /** How many committed events of the handled types follow `after` (counted up to one batch more). */
  private async committedAfter(after: LogCheckpoint): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.options.dataSource.query(
      `SELECT count(*)::int AS n FROM (
         SELECT 1 FROM ${this.s}.events
         WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND type = ANY($3::text[])
         LIMIT $4) AS behind`,
      [after.transactionId, after.globalPosition, this.handled, this.batchSize + 1],
    );
    return n;
  }

  private get horizonWaitMs(): number {
    return this.options.horizonWaitMs ?? 30_000;
  }

  private get lockTimeoutMs(): number {
    return this.options.lockTimeoutMs ?? 30_000;
  }

  /**
   * Under the write lock: the events committed after the build's last read (every committed one,
   * since writers of the read tables now wait for this transaction), then the live rows replaced.
   * Returns when the lock was taken (`performance.now()`).
   */
  private async swap(runner: QueryRunner, after: LogCheckpoint): Promise<number> {
    const manager = runner.manager;
    await runner.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.lockTimeoutMs))}`);
    await runner.query(`LOCK TABLE ${this.tables.map((t) => `${this.s}.${t}`).join(', ')} IN EXCLUSIVE MODE`);
    const locked = performance.now();
    let checkpoint = after;
    for (;;) {
      const events = await this.readEvents(manager, checkpoint, false);
      if (events.length === 0) break;
      await this.applyToShadow(manager, events);
      checkpoint = { transactionId: events[events.length - 1].transactionId, globalPosition: events[events.length - 1].globalPosition };
    }
    const sh = quoteSchema(this.shadow);
    for (const table of this.tables) {
      const columns = await this.writableColumns(manager, table);
      const key = await this.primaryKey(manager, table);
      const list = columns.map((c) => `"${c}"`).join(', ');
      if (key.length === 0) {
        await runner.query(`DELETE FROM ${this.s}.${table}`);
        await runner.query(`INSERT INTO ${this.s}.${table} (${list}) SELECT ${list} FROM ${sh}.${table}`);
        continue;
      }
      // Only the rows that differ: a live row is kept when the shadow holds the same row (by
      // primary key, every column equal), deleted otherwise; then the shadow rows it lacks are
      // inserted. A rebuild of a read model that was right writes nothing.
      const sameKey = key.map((c) => `s."${c}" = l."${c}"`).join(' AND ');
      const row = (alias: string) => `(${columns.map((c) => `${alias}."${c}"`).join(', ')})`;
      await runner.query(
        `DELETE FROM ${this.s}.${table} l
         WHERE NOT EXISTS (SELECT 1 FROM ${sh}.${table} s WHERE ${sameKey} AND ${row('l')} IS NOT DISTINCT FROM ${row('s')})`,
      );
      await runner.query(
        `INSERT INTO ${this.s}.${table} (${list})
         SELECT ${list} FROM ${sh}.${table} s WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.${table} l WHERE ${sameKey})`,
      );
    }
    return locked;
  }

  /** The live table's primary key columns (none: the table is replaced whole). */
  private async primaryKey(manager: EntityManager, table: string): Promise<string[]> {
    const rows: Array<{ attname: string }> = await manager.query(
      `SELECT a.attname FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [`${this.s}.${table}`],
    );
    return rows.map((r) => r.attname);
  }

  /** The live table's columns that take a value (generated columns compute their own). */
  private async writableColumns(manager: EntityManager, table: string): Promise<string[]> {
    const rows: Array<{ column_name: string }> = await manager.query(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [this.options.schema, table],
    );
    return rows.map((r) => r.column_name);
  }

  private async assertLiveTables(): Promise<void> {
    for (const table of [...this.tables, 'events']) {
      const [{ found }]: Array<{ found: string | null }> = await this.options.dataSource.query(
        'SELECT to_regclass($1) AS found',
        [`${this.s}.${table}`],
      );
      if (found === null) {
        throw new ReadModelRebuildError(
          `table ${this.options.schema}.${table} does not exist: start the service once (it migrates its schema) before rebuilding`,
        );
      }
    }
  }

  /**
   * The next events of the handled types after `after`, in log order (transaction id, global
   * position). `commitSafe`: only transactions older than every one still running (as the relay
   * reads), so that a late commit is never passed over; under the swap's lock every committed
   * event is read instead.
   */
  private async readEvents(manager: EntityManager, after: LogCheckpoint, commitSafe: boolean): Promise<LogEvent[]> {
    const rows: EventRowSql[] = await manager.query(
      `SELECT global_position, event_id, stream_id, stream_version, type, schema_version, occurred_at, actor,
         correlation_id, causation_id, data, prev_hash, hash, transaction_id::text AS transaction_id
       FROM ${this.s}.events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND type = ANY($3::text[])
         ${commitSafe ? 'AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())' : ''}
       ORDER BY transaction_id, global_position
       LIMIT $4`,
      [after.transactionId, after.globalPosition, this.handled, this.batchSize],
    );
    return rows.map((row) => {
      let envelope: EventEnvelope;
      try {
        envelope = this.options.registry.decode(rowToEnvelope(row));
      } catch (error) {
        throw new ReadModelRebuildError(
          `event at global position ${row.global_position} (${row.type} v${row.schema_version}) cannot be read: ${(error as Error).message}`,
        );
      }
      return { ...envelope, transactionId: row.transaction_id };
    });
  }

  /**
   * Applies events with each stream's in order: the first event of every stream, then the second…
   * (a wave holds one event per stream, so its events are independent: the projections keep each
   * row within one stream); within a wave, the events of one type go to each projection that
   * handles them together (a run of registrations is one insert), then what the service writes
   * beside them, with one statement.
   */
  private async applyToShadow(manager: EntityManager, events: readonly LogEvent[]): Promise<void> {
    const material = await this.keysFor(manager, events);
    try {
      for (const wave of wavesOf(events)) {
        for (const run of byType(wave)) {
          for (const { projection } of this.shadowProjections) {
            if (projection.handles.includes(run[0].type)) await projection.apply(run, manager);
          }
          const writes = run.flatMap((event) => this.serviceWrites(event, material) ?? []);
          await writeCustomersClearColumns(manager, this.shadow, writes);
          this.done += run.length;
        }
      }
    } finally {
      material.keys.release();
    }
  }

  /**
   * The data keys of the customers whose events in `events` carry encrypted values, loaded at
   * once; `erased`: those without a key whose stream holds `CustomerErased` (shredded on purpose).
   */
  private async keysFor(manager: EntityManager, events: readonly LogEvent[]): Promise<{ keys: SubjectKeys; erased: Set<string> }> {
    const ids = new Set<string>();
    for (const event of events) {
      if (encryptedOf(event)) ids.add((event.data as { customerId: string }).customerId);
    }
    const keys = await this.options.cipher.keysFor(ids);
    const missing = [...ids].filter((id) => !keys.has(id));
    if (missing.length === 0) return { keys, erased: new Set() };
    const rows: Array<{ customer_id: string }> = await manager.query(
      `SELECT DISTINCT data->>'customerId' AS customer_id FROM ${this.s}.events
       WHERE type = 'CustomerErased' AND stream_id = ANY($1::text[])`,
      [missing.map(customerStreamId)],
    );
    return { keys, erased: new Set(rows.map((r) => r.customer_id)) };
  }

  /**
   * What the service wrote beside the projection in the transaction of `event` (see
   * `CustomerService.register` / `update`): the name and company in clear (encrypted in v3
   * events), and the masked form of each sensitive field set. `null` when there is nothing.
   */
  private serviceWrites(event: LogEvent, { keys, erased }: { keys: SubjectKeys; erased: Set<string> }): CustomerClearColumns | null {
    const encrypted = encryptedOf(event);
    if (!encrypted) return null;
    const customerId = (event.data as { customerId: string }).customerId;
    if (!keys.has(customerId)) {
      if (erased.has(customerId)) return null;
      throw new ReadModelRebuildError(
        `customer ${customerId} has no data key but was never erased: its encrypted fields cannot be rebuilt (restore the key store first)`,
      );
    }
    const decrypt = (field: string, token: string): string => {
      try {
        return keys.decrypt(customerId, field, token);
      } catch (error) {
        if (error instanceof SubjectShreddedError) throw error;
        throw new ReadModelRebuildError(
          `customer ${customerId}: ${field} of the event at global position ${event.globalPosition} cannot be decrypted (${(error as Error).message})`,
        );
      }
    };
    const write: CustomerClearColumns = { customerId, names: {}, clear: {} };
    if (encrypted.name) write.names.name = decrypt('name', encrypted.name.ciphertext);
    if (encrypted.company) write.names.company = decrypt('company', encrypted.company.ciphertext);
    for (const field of SENSITIVE_FIELDS) {
      const value = encrypted[field];
      if (value === undefined) continue;
      write.clear[field] = value === null ? null : decrypt(field, value.ciphertext);
    }
    return write;
  }

  private report(phase: RebuildPhase): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.options.onProgress?.({
      phase,
      done: this.done,
      total: Math.max(this.total, this.done),
      eventsPerSecond: seconds > 0 ? this.done / seconds : 0,
    });
  }
}

/** `events` in waves: the k-th wave holds the k-th event of every stream that has one, in log order. */
function wavesOf<E extends { streamId: string }>(events: readonly E[]): E[][] {
  const seen = new Map<string, number>();
  const waves: E[][] = [];
  for (const event of events) {
    const k = seen.get(event.streamId) ?? 0;
    seen.set(event.streamId, k + 1);
    (waves[k] ??= []).push(event);
  }
  return waves;
}

/** `events` grouped by type, each group in the order of its first event, events in their order. */
function byType<E extends { type: string }>(events: readonly E[]): E[][] {
  const groups = new Map<string, E[]>();
  for (const event of events) {
    const group = groups.get(event.type);
    if (group) group.push(event);
    else groups.set(event.type, [event]);
  }
  return [...groups.values()];
}

/** `events` in up to `parts` groups, each stream's events in one group and in their order. */
function byStream<E extends { streamId: string }>(events: readonly E[], parts: number): E[][] {
  const groups: E[][] = Array.from({ length: parts }, () => []);
  for (const event of events) {
    let hash = 0;
    for (let i = 0; i < event.streamId.length; i += 1) hash = (hash * 31 + event.streamId.charCodeAt(i)) | 0;
    groups[Math.abs(hash) % parts].push(event);
  }
  return groups.filter((group) => group.length > 0);
}

type EncryptedOfEvent = Partial<Record<'name' | 'company', { ciphertext: string }>> &
  Partial<Record<SensitiveField, { ciphertext: string } | null>>;

/** The encrypted values a registration or an update carries (`null`: a field cleared), else null. */
function encryptedOf(event: EventEnvelope): EncryptedOfEvent | null {
  let sensitive: CustomerSensitiveFields | CustomerUpdatedData['sensitive'] | undefined;
  if (event.type === 'CustomerRegistered') sensitive = (event.data as CustomerRegisteredData).sensitive;
  else if (event.type === 'CustomerUpdated') sensitive = (event.data as CustomerUpdatedData).sensitive;
  if (!sensitive || Object.keys(sensitive).length === 0) return null;
  return sensitive as EncryptedOfEvent;
}
