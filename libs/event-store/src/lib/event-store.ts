import { hashEvent, GENESIS_HASH, type EventEnvelope, type EventRegistry } from '@warden/contracts';
import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { StreamVersionConflict } from './event-store.errors';
import { preparedQuery } from './prepared-query';
import { EVENT_COLUMNS, quoteSchema, type EventRow } from './event-store.sql';
import {
  LOG_START,
  type AppendOptions,
  type AppendResult,
  type CommandMetadata,
  type Decider,
  type InlineProjection,
  type LogCheckpoint,
  type NewEvent,
} from './event-store.types';

type RelayRowSql = {
  tx: string;
  pos: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  occurred_ms: string;
  actor: string;
  correlation_id: string;
  causation_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
};

const str = JSON.stringify;

/**
 * The envelope's JSON text assembled around the stored JSON of `actor` and `data`, which are
 * never parsed on the way to Kafka (the field order is the envelope's; hashes are computed over
 * canonical JSON, so order does not matter to them).
 */
function relayRow(row: RelayRowSql): RelayRow {
  const occurredAtMs = Number(row.occurred_ms);
  const globalPosition = Number(row.pos);
  const value =
    `{"eventId":${str(row.event_id)},"type":${str(row.type)},"schemaVersion":${row.schema_version},` +
    `"streamId":${str(row.stream_id)},"streamVersion":${row.stream_version},"globalPosition":${globalPosition},` +
    `"occurredAt":${str(new Date(occurredAtMs).toISOString())},"actor":${row.actor},` +
    `"correlationId":${str(row.correlation_id)},"causationId":${str(row.causation_id)},"data":${row.data},` +
    `"prevHash":${str(row.prev_hash)},"hash":${str(row.hash)}}`;
  return {
    transactionId: row.tx,
    globalPosition,
    streamId: row.stream_id,
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    correlationId: row.correlation_id,
    occurredAtMs,
    value,
  };
}

/**
 * Sealed envelopes as the arrays the insert statements `unnest`, in this order: event id, stream
 * version, type, schema version, time, actor (JSON), correlation id, causation id, data (JSON),
 * previous hash, hash.
 */
function envelopeArrays(envelopes: readonly EventEnvelope[]): unknown[][] {
  const column = <K extends keyof EventEnvelope>(key: K) => envelopes.map((e) => e[key]);
  const json = <K extends keyof EventEnvelope>(key: K) => envelopes.map((e) => JSON.stringify(e[key]));
  return [
    column('eventId'),
    column('streamVersion'),
    column('type'),
    column('schemaVersion'),
    column('occurredAt'),
    json('actor'),
    column('correlationId'),
    column('causationId'),
    json('data'),
    column('prevHash'),
    column('hash'),
  ];
}

/** One event of the log as the relay publishes it (see `readLogForRelay`). */
export type RelayRow = {
  transactionId: string;
  globalPosition: number;
  streamId: string;
  eventId: string;
  type: string;
  schemaVersion: number;
  correlationId: string;
  occurredAtMs: number;
  /** The envelope as JSON text. */
  value: string;
};

export type EventStoreOptions = {
  dataSource: DataSource;
  /** The service's Postgres schema, e.g. `customer_records`. */
  schema: string;
  registry: EventRegistry;
  projections?: readonly InlineProjection[];
};

/** How many times an append with `expectedVersion: 'any'` re-reads the stream after a race. */
const ANY_VERSION_ATTEMPTS = 5;

export function rowToEnvelope(row: EventRow): EventEnvelope {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: Number(row.global_position),
    occurredAt: row.occurred_at.toISOString(),
    actor: row.actor,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Append-only event store in one Postgres schema. Appends check the expected stream version in the
 * same statement that writes; inline projections run in the same transaction; the whole log can be
 * read in commit-safe order (see `readLog`).
 */
export class EventStore {
  private readonly s: string;
  private readonly projections: readonly InlineProjection[];
  private readonly appendListeners: Array<() => void> = [];

  constructor(private readonly options: EventStoreOptions) {
    this.s = quoteSchema(options.schema);
    this.projections = options.projections ?? [];
  }

  get schema(): string {
    return this.options.schema;
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const run = (manager: EntityManager) => this.appendWith(manager, streamId, events, options);
    // Inside the caller's transaction: the commit is theirs, the relay finds it when it polls.
    if (options.manager) return run(options.manager);
    // Without projections (and with a known version) the append is one statement, atomic on its own.
    const result =
      this.projections.length === 0 && options.expectedVersion !== 'any'
        ? await run(this.options.dataSource.manager)
        : await this.options.dataSource.transaction(run);
    for (const listener of this.appendListeners) listener();
    return result;
  }

  /**
   * Load → decide → append: folds the stream with the decider, decides the command, and appends
   * what it decided with the version and hash it read (a concurrent write is a 409, never lost).
   * Returns the decided events (none appended when the decider decided none).
   */
  async handle<S, C, E extends NewEvent>(
    streamId: string,
    decider: Decider<S, C, E>,
    command: C,
    { metadata, manager }: { metadata: CommandMetadata; manager?: EntityManager },
  ): Promise<{ events: E[]; streamVersion: number }> {
    const { state, version, hash } = await this.aggregate<S>(
      streamId,
      (current, event) => decider.evolve(current, event as unknown as E),
      decider.initialState,
      manager,
    );
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, streamVersion: version };
    const result = await this.append(streamId, events, { expectedVersion: version, expectedHash: hash, metadata, manager });
    return { events, streamVersion: result.streamVersion };
  }

  /**
   * Appends to many streams with one statement (a bulk import's group, a hand-over's batch), each
   * with its own metadata, at the version and hash its caller read (`aggregateMany`), or at version
   * 0 for a new stream. In `manager`'s transaction (its own when none is given). If any stream is
   * no longer where its caller read it (or exists, for version 0), nothing is written and
   * `StreamVersionConflict` names it (in a caller's transaction, which that error should roll
   * back). Inline projections then run on all the events at once. Answers one result per stream,
   * in the order given.
   */
  async appendToStreams(
    streams: ReadonlyArray<{
      streamId: string;
      events: readonly NewEvent[];
      metadata: CommandMetadata;
      expectedVersion: number;
      /** The hash of the stream's event at `expectedVersion` (not needed for 0). */
      expectedHash?: string;
    }>,
    { manager }: { manager?: EntityManager } = {},
  ): Promise<AppendResult[]> {
    if (streams.length === 0) return [];
    if (new Set(streams.map((s) => s.streamId)).size !== streams.length) throw new Error('appendToStreams needs distinct streams');
    for (const { streamId, events, expectedVersion, expectedHash } of streams) {
      if (events.length === 0) throw new Error(`appendToStreams needs events for ${streamId}`);
      if (expectedVersion > 0 && !expectedHash) throw new Error(`appendToStreams needs the head hash of ${streamId}`);
    }
    const run = async (tx: EntityManager): Promise<AppendResult[]> => {
      const sealed = streams.map(({ streamId, events, metadata, expectedVersion, expectedHash }) =>
        this.seal(streamId, events, { expectedVersion, metadata }, { version: expectedVersion, lastHash: expectedHash ?? GENESIS_HASH }),
      );
      const envelopes = sealed.flat();
      const heads = sealed.map((list) => list[list.length - 1]);
      // Existing streams move only from the head their caller read; new ones start only if absent.
      const rows: Array<{ event_id: string; global_position: string }> = await tx.query(
        `WITH r AS (
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[])
             AS r(stream_id, stream_version, last_hash, expected_version, expected_hash)
         ), moved AS (
           UPDATE ${this.s}.streams AS s
           SET stream_version = r.stream_version, last_hash = r.last_hash, updated_at = now()
           FROM r
           WHERE r.expected_version > 0 AND s.stream_id = r.stream_id
             AND s.stream_version = r.expected_version AND s.last_hash = r.expected_hash
           RETURNING s.stream_id
         ), started AS (
           INSERT INTO ${this.s}.streams (stream_id, stream_version, last_hash)
           SELECT r.stream_id, r.stream_version, r.last_hash FROM r WHERE r.expected_version = 0
           ON CONFLICT (stream_id) DO NOTHING
           RETURNING stream_id
         )
         INSERT INTO ${this.s}.events (event_id, stream_id, stream_version, type, schema_version, occurred_at,
           actor, correlation_id, causation_id, data, prev_hash, hash)
         SELECT e.event_id, e.stream_id, e.stream_version, e.type, e.schema_version, e.occurred_at,
           e.actor::jsonb, e.correlation_id, e.causation_id, e.data::jsonb, e.prev_hash, e.hash
         FROM unnest($6::text[], $7::uuid[], $8::int[], $9::text[], $10::int[], $11::timestamptz[], $12::text[],
           $13::text[], $14::text[], $15::text[], $16::text[], $17::text[])
           WITH ORDINALITY AS e(stream_id, event_id, stream_version, type, schema_version, occurred_at, actor,
             correlation_id, causation_id, data, prev_hash, hash, ord)
         WHERE e.stream_id IN (SELECT stream_id FROM moved UNION ALL SELECT stream_id FROM started)
         ORDER BY e.ord
         RETURNING event_id, global_position`,
        [
          heads.map((e) => e.streamId),
          heads.map((e) => e.streamVersion),
          heads.map((e) => e.hash),
          streams.map((e) => e.expectedVersion),
          streams.map((e) => e.expectedHash ?? GENESIS_HASH),
          envelopes.map((e) => e.streamId),
          ...envelopeArrays(envelopes),
        ],
      );
      if (rows.length !== envelopes.length) {
        const written = new Set(rows.map((row) => row.event_id.toLowerCase()));
        const stale = streams[sealed.findIndex((list) => !written.has(list[0].eventId.toLowerCase()))];
        const now = await this.streamHead(tx, stale.streamId);
        throw new StreamVersionConflict(stale.streamId, stale.expectedVersion, now.version);
      }
      const positions = new Map(rows.map((row) => [row.event_id.toLowerCase(), Number(row.global_position)]));
      const written = sealed.map((list) => list.map((e) => ({ ...e, globalPosition: positions.get(e.eventId.toLowerCase()) as number })));
      await this.project(tx, written.flat());
      return written.map((events) => ({ streamVersion: events[events.length - 1].streamVersion, events }));
    };
    if (manager) return run(manager);
    const result = await this.options.dataSource.transaction(run);
    for (const listener of this.appendListeners) listener();
    return result;
  }

  /** Called after each append this store committed itself (the relay uses it to publish at once). */
  onAppend(listener: () => void): void {
    this.appendListeners.push(listener);
  }

  private async appendWith(
    manager: EntityManager,
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.knownOrReadHead(manager, streamId, options, attempt);
      const expected = options.expectedVersion === 'any' ? current.version : options.expectedVersion;
      if (expected !== current.version) {
        throw new StreamVersionConflict(streamId, expected, current.version);
      }
      const envelopes = this.seal(streamId, events, options, current);
      const written = await this.insert(manager, streamId, expected, current.lastHash, envelopes);
      if (written) {
        await this.project(manager, written);
        return { streamVersion: written[written.length - 1].streamVersion, events: written };
      }
      const now = await this.streamHead(manager, streamId);
      if (options.expectedVersion !== 'any' || attempt >= ANY_VERSION_ATTEMPTS) {
        throw new StreamVersionConflict(streamId, expected, now.version);
      }
    }
  }

  /** Gives each new event its id, version, time, actor and place in the stream's hash chain. */
  private seal(
    streamId: string,
    events: readonly NewEvent[],
    { metadata, validated }: AppendOptions,
    head: { version: number; lastHash: string },
  ): EventEnvelope[] {
    let prevHash = head.lastHash;
    return events.map((event, index) => {
      const data = validated ? event.data : this.options.registry.validateData(event.type, event.data);
      const body = {
        eventId: uuidv7(),
        type: event.type,
        schemaVersion: this.options.registry.latestVersion(event.type),
        streamId,
        streamVersion: head.version + index + 1,
        occurredAt: metadata.now.toISOString(),
        actor: metadata.actor,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId ?? null,
        data,
      };
      const hash = hashEvent(prevHash, body);
      const envelope: EventEnvelope = { ...body, globalPosition: 0, prevHash, hash };
      prevHash = hash;
      return envelope;
    });
  }

  /** The head the caller vouches for (checked again by the insert), else the stored one. */
  private knownOrReadHead(
    manager: EntityManager,
    streamId: string,
    options: AppendOptions,
    attempt: number,
  ): Promise<{ version: number; lastHash: string }> | { version: number; lastHash: string } {
    if (attempt === 1 && options.expectedVersion === 0) return { version: 0, lastHash: GENESIS_HASH };
    if (attempt === 1 && typeof options.expectedVersion === 'number' && options.expectedHash) {
      return { version: options.expectedVersion, lastHash: options.expectedHash };
    }
    // 'any': lock the head so that concurrent writers queue instead of retrying.
    return this.streamHead(manager, streamId, options.expectedVersion === 'any');
  }

  private async streamHead(
    manager: EntityManager,
    streamId: string,
    lock = false,
  ): Promise<{ version: number; lastHash: string }> {
    const rows: Array<{ stream_version: number; last_hash: string }> = await manager.query(
      `SELECT stream_version, last_hash FROM ${this.s}.streams WHERE stream_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [streamId],
    );
    return rows.length ? { version: rows[0].stream_version, lastHash: rows[0].last_hash } : { version: 0, lastHash: GENESIS_HASH };
  }

  /**
   * One statement: moves the stream head only if it is still at `expected`, and inserts the events
   * only if it moved. Returns null when another writer got there first.
   */
  private async insert(
    manager: EntityManager,
    streamId: string,
    expected: number,
    expectedHash: string,
    envelopes: EventEnvelope[],
  ): Promise<EventEnvelope[] | null> {
    const last = envelopes[envelopes.length - 1];
    const rows = await preparedQuery<{ global_position: string; stream_version: number }>(
      this.options.dataSource,
      manager,
      `WITH head AS (
         INSERT INTO ${this.s}.streams (stream_id, stream_version, last_hash) VALUES ($1, $2, $3)
         ON CONFLICT (stream_id) DO UPDATE
           SET stream_version = EXCLUDED.stream_version, last_hash = EXCLUDED.last_hash, updated_at = now()
           WHERE ${this.s}.streams.stream_version = $4 AND ${this.s}.streams.last_hash = $16
         RETURNING stream_id
       )
       INSERT INTO ${this.s}.events (event_id, stream_id, stream_version, type, schema_version, occurred_at,
         actor, correlation_id, causation_id, data, prev_hash, hash)
       SELECT e.event_id, head.stream_id, e.stream_version, e.type, e.schema_version, e.occurred_at,
         e.actor::jsonb, e.correlation_id, e.causation_id, e.data::jsonb, e.prev_hash, e.hash
       FROM head, unnest($5::uuid[], $6::int[], $7::text[], $8::int[], $9::timestamptz[], $10::text[],
         $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
         WITH ORDINALITY AS e(event_id, stream_version, type, schema_version, occurred_at, actor,
           correlation_id, causation_id, data, prev_hash, hash, ord)
       ORDER BY e.ord
       RETURNING global_position, stream_version`,
      [
        streamId,
        last.streamVersion,
        last.hash,
        expected,
        ...envelopeArrays(envelopes),
        expectedHash,
      ],
    );
    if (rows.length === 0) return null;
    const positions = new Map(rows.map((r) => [r.stream_version, Number(r.global_position)]));
    return envelopes.map((e) => ({ ...e, globalPosition: positions.get(e.streamVersion) as number }));
  }

  private async project(manager: EntityManager, events: EventEnvelope[]): Promise<void> {
    for (const projection of this.projections) {
      const relevant = events.filter((e) => projection.handles.includes(e.type));
      if (relevant.length) await projection.apply(relevant, manager);
    }
  }

  /** A stream's events in order (empty when it does not exist). */
  async readStream(streamId: string, manager: EntityManager = this.options.dataSource.manager): Promise<EventEnvelope[]> {
    const rows: EventRow[] = await manager.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    return rows.map((row) => this.options.registry.decode(rowToEnvelope(row)));
  }

  /** Folds a stream into state with `evolve`. */
  async aggregate<S>(
    streamId: string,
    evolve: (state: S, event: EventEnvelope) => S,
    initial: S,
    manager?: EntityManager,
  ): Promise<{ state: S; version: number; hash: string }> {
    const events = await this.readStream(streamId, manager);
    const last = events.at(-1);
    return { state: events.reduce(evolve, initial), version: last?.streamVersion ?? 0, hash: last?.hash ?? GENESIS_HASH };
  }

  /**
   * `aggregate` for many streams with one read: each stream's folded state, version and head hash
   * (what `appendToStreams` expects), by stream id; a stream without events is at version 0.
   */
  async aggregateMany<S>(
    streamIds: readonly string[],
    evolve: (state: S, event: EventEnvelope) => S,
    initial: S,
    manager: EntityManager = this.options.dataSource.manager,
  ): Promise<Map<string, { state: S; version: number; hash: string }>> {
    const folded = new Map(streamIds.map((id) => [id, { state: initial, version: 0, hash: GENESIS_HASH }]));
    if (streamIds.length === 0) return folded;
    const rows: EventRow[] = await manager.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version`,
      [streamIds],
    );
    for (const row of rows) {
      const event = this.options.registry.decode(rowToEnvelope(row));
      const current = folded.get(event.streamId) as { state: S; version: number; hash: string };
      folded.set(event.streamId, { state: evolve(current.state, event), version: event.streamVersion, hash: event.hash });
    }
    return folded;
  }

  /**
   * `readLog` for publishing: each event comes as the envelope's JSON text built by Postgres, plus
   * what a Kafka message needs around it, so that no row is parsed and re-serialised on the way.
   */
  async readLogForRelay(after: LogCheckpoint, limit: number): Promise<RelayRow[]> {
    const rows = await preparedQuery<RelayRowSql>(
      this.options.dataSource,
      this.options.dataSource.manager,
      `SELECT transaction_id::text AS tx, global_position AS pos, event_id, stream_id, stream_version, type,
         schema_version, (extract(epoch FROM occurred_at) * 1000)::bigint AS occurred_ms, actor::text AS actor,
         correlation_id, causation_id, data::text AS data, prev_hash, hash
       FROM ${this.s}.events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, global_position
       LIMIT $3`,
      [after.transactionId, after.globalPosition, limit],
    );
    return rows.map(relayRow);
  }

  /** Where the relay named `name` stands (the start of the log when it never published). */
  async relayCheckpoint(name: string): Promise<LogCheckpoint> {
    const rows = await preparedQuery<{ transaction_id: string; global_position: string }>(
      this.options.dataSource,
      this.options.dataSource.manager,
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.s}.relay_checkpoints WHERE name = $1`,
      [name],
    );
    return rows.length
      ? { transactionId: rows[0].transaction_id, globalPosition: Number(rows[0].global_position) }
      : LOG_START;
  }

  async saveRelayCheckpoint(name: string, checkpoint: LogCheckpoint): Promise<void> {
    await preparedQuery(
      this.options.dataSource,
      this.options.dataSource.manager,
      `INSERT INTO ${this.s}.relay_checkpoints (name, transaction_id, global_position)
       VALUES ($1, $2::xid8, $3)
       ON CONFLICT (name) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
      [name, checkpoint.transactionId, checkpoint.globalPosition],
    );
  }

  /**
   * The next events of the whole log after `after`, in commit-safe order. Only events whose
   * transaction is older than every transaction still in progress are returned, and the order is
   * (transaction id, global position): a writer that took a position earlier but commits later is
   * never skipped, because the reader does not pass it until it has committed or rolled back.
   */
  async readLog(after: LogCheckpoint, limit: number): Promise<Array<EventEnvelope & { transactionId: string }>> {
    const rows: EventRow[] = await this.options.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events
       WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
         AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY transaction_id, global_position
       LIMIT $3`,
      [after.transactionId, after.globalPosition, limit],
    );
    return rows.map((row) => ({ ...rowToEnvelope(row), transactionId: row.transaction_id }));
  }
}
