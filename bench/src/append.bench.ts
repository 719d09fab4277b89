// 1. Event-store append rate vs raw INSERT of equivalent rows, in the same run.
//
// Subject: EventStore.append of one CustomerRegistered event per call on `streams` streams, with
// the expected version and hash given (what a command handler knows after `aggregate`, and what
// customer-records passes): no projections, so the store writes with one autocommit statement.
// Baseline: through the same `pg` driver, one autocommit INSERT per event (one statement = one
// transaction) into a plain table with the events table's columns, checks and indexes.
// Sequential only, for attribution (no goal; `infoEvents` events each, to keep the run short):
//   appendNoHash  expected version without the hash: the store reads the head first (2 statements)
//   appendTx      with an (empty) inline projection, as services with read models do: the append
//                 runs in START TRANSACTION … COMMIT (3 statements)
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GENESIS_HASH } from '@warden/contracts';
import { EventStore, type InlineProjection, quoteSchema } from '@warden/event-store';
import { createTestSchema } from '@warden/testing';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import {
  type BenchConfig,
  Cleanup,
  countStatements,
  customerEvent,
  EVENT_TYPE,
  log,
  metadata,
  registry,
  streamId,
} from './common';

export type AppendVariant = 'append' | 'appendNoHash' | 'appendTx' | 'raw';
export type AppendMode = 'sequential' | 'concurrent';
export type AppendSample = {
  rep: number;
  mode: AppendMode;
  variant: AppendVariant;
  events: number;
  ms: number;
  perSecond: number;
  /** CPU of this process (driver, TypeORM, the store's validation and hashing) per event. */
  clientCpuUsPerEvent: number;
};

const RAW_COLUMNS = `event_id, stream_id, stream_version, type, schema_version, occurred_at, actor, correlation_id,
  causation_id, data, prev_hash, hash`;

/** The events table of the store's migration, minus the append-only trigger (irrelevant to INSERT). */
const rawTableDdl = (s: string) => [
  `CREATE TABLE ${s}.raw_events (
     global_position bigserial PRIMARY KEY,
     event_id uuid NOT NULL UNIQUE,
     stream_id text NOT NULL,
     stream_version integer NOT NULL CHECK (stream_version > 0),
     type text NOT NULL,
     schema_version integer NOT NULL CHECK (schema_version > 0),
     occurred_at timestamptz NOT NULL,
     actor jsonb NOT NULL,
     correlation_id text NOT NULL,
     causation_id text,
     data jsonb NOT NULL,
     prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
     hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
     transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
     UNIQUE (stream_id, stream_version)
   )`,
  `CREATE INDEX raw_events_log_order ON ${s}.raw_events (transaction_id, global_position)`,
];

/** Which (stream, version) each of `events` events goes to; stream k belongs to worker k % workers. */
function plan(events: number, streams: number): Array<{ stream: number; version: number }> {
  return Array.from({ length: events }, (_, i) => ({
    stream: i % streams,
    version: Math.floor(i / streams) + 1,
  }));
}

type Target = (stream: number, version: number, n: number) => Promise<unknown>;

/** Runs `slice` of a plan with `workers` concurrent workers (worker w takes the streams ≡ w mod workers). */
async function driveSlice(
  slice: ReadonlyArray<{ stream: number; version: number; n: number }>,
  workers: number,
  target: Target,
  cpu?: { us: number },
): Promise<number> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (const { stream, version, n } of slice) {
        if (stream % workers === w) await target(stream, version, n);
      }
    }),
  );
  const elapsed = performance.now() - started;
  if (cpu) {
    const used = process.cpuUsage(cpuBefore);
    cpu.us += used.user + used.system;
  }
  return elapsed;
}

async function drive(events: number, streams: number, workers: number, target: Target): Promise<number> {
  return driveSlice(
    plan(events, streams).map((p, n) => ({ ...p, n })),
    workers,
    target,
  );
}

/** Events per block of the interleaved schedule (goal variants; info variants get a proportional share). */
const BLOCK = 500;

export class AppendBench {
  private pool!: pg.Pool;
  private readonly cleanup: Cleanup;

  constructor(
    private readonly config: BenchConfig,
    cleanup: Cleanup,
    private readonly databaseUrl: string,
  ) {
    this.cleanup = cleanup;
  }

  async open(): Promise<void> {
    this.pool = new pg.Pool({
      connectionString: this.databaseUrl,
      max: Math.max(this.config.append.concurrency, 1),
      application_name: 'bench-raw',
    });
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }

  private async freshSchema(
    label: string,
  ): Promise<{ dataSource: DataSource; schema: string; stores: Stores; s: string }> {
    const { dataSource, schema } = await createTestSchema(`bench_${label}`);
    this.cleanup.schema(dataSource, schema);
    const s = quoteSchema(schema);
    for (const ddl of rawTableDdl(s)) await dataSource.query(ddl);
    const stores = {
      plain: new EventStore({ dataSource, schema, registry }),
      projected: new EventStore({ dataSource, schema, registry, projections: [noopProjection] }),
    };
    return { dataSource, schema, stores, s };
  }

  private targets({ plain, projected }: Stores, s: string, prefix: string): Record<AppendVariant, Target> {
    const insert = `INSERT INTO ${s}.raw_events (${RAW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;
    const rawValues = (stream: number, version: number, n: number) => {
      const event = customerEvent(n);
      const meta = metadata();
      return [
        uuidv7(),
        streamId(prefix, stream),
        version,
        EVENT_TYPE,
        1,
        meta.now.toISOString(),
        JSON.stringify(meta.actor),
        meta.correlationId,
        null,
        JSON.stringify(event.data),
        randomBytes(32).toString('hex'),
        randomBytes(32).toString('hex'),
      ];
    };
    // The head each stream is at, as the caller knows it (each stream has one writer).
    const hashes = new Map<number, string>();
    const appendTo =
      (store: EventStore, withHash: boolean): Target =>
      async (stream, version, n) => {
        const result = await store.append(streamId(prefix, stream), [customerEvent(n)], {
          expectedVersion: version - 1,
          expectedHash: withHash ? (hashes.get(stream) ?? GENESIS_HASH) : undefined,
          metadata: metadata(),
        });
        hashes.set(stream, result.events[result.events.length - 1].hash);
      };
    return {
      append: appendTo(plain, true),
      appendNoHash: appendTo(plain, false),
      appendTx: appendTo(projected, true),
      raw: (stream, version, n) => this.pool.query(insert, rawValues(stream, version, n)),
    };
  }

  /** A short untimed pass of every variant, so that connections, JIT and caches are warm. */
  async warmUp(): Promise<void> {
    const { schema, stores, s } = await this.freshSchema('append_warm');
    for (const variant of ['append', 'appendNoHash', 'appendTx', 'raw'] as const) {
      await drive(
        300,
        32,
        this.config.append.concurrency,
        this.targets(stores, s, `warm-${variant}`)[variant],
      );
    }
    await this.cleanup.dropSchema(schema);
  }

  /**
   * One repetition in a fresh schema. The variants are interleaved in blocks (BLOCK events of the
   * goal variants, a proportional share of the info variants, the order rotating every block), so
   * that a change in machine load hits all of them alike; each variant's rate is its events over
   * the sum of its blocks' times.
   */
  async rep(rep: number): Promise<AppendSample[]> {
    const { events, infoEvents, streams, concurrency } = this.config.append;
    const { schema, stores, s } = await this.freshSchema('append');
    const samples: AppendSample[] = [];
    try {
      const runs: Array<[AppendMode, number, AppendVariant[]]> = [
        ['sequential', 1, ['raw', 'append', 'appendNoHash', 'appendTx']],
        ['concurrent', concurrency, ['raw', 'append']],
      ];
      for (const [mode, workers, variants] of runs) {
        const blocks = Math.max(1, Math.ceil(events / BLOCK));
        const state = variants.map((variant) => {
          const count = variant === 'append' || variant === 'raw' ? events : Math.min(infoEvents, events);
          const all = plan(count, streams).map((p, n) => ({ ...p, n }));
          const size = Math.ceil(count / blocks);
          const target = this.targets(stores, s, `${mode}-${variant}`)[variant];
          return { variant, count, all, size, target, ms: 0, cpu: { us: 0 } };
        });
        for (let block = 0; block < blocks; block += 1) {
          for (let k = 0; k < state.length; k += 1) {
            const v = state[(k + block + rep) % state.length];
            const slice = v.all.slice(block * v.size, (block + 1) * v.size);
            if (slice.length) v.ms += await driveSlice(slice, workers, v.target, v.cpu);
          }
        }
        for (const { variant, count, ms, cpu } of state) {
          const sample = {
            rep,
            mode,
            variant,
            events: count,
            ms,
            perSecond: (count / ms) * 1000,
            clientCpuUsPerEvent: cpu.us / count,
          };
          samples.push(sample);
          log(
            `append rep ${rep + 1} ${mode.padEnd(10)} ${variant.padEnd(12)} ${sample.perSecond.toFixed(0)} events/s, ` +
              `bench-process CPU ${sample.clientCpuUsPerEvent.toFixed(0)} µs/event`,
          );
        }
      }
    } finally {
      await this.cleanup.dropSchema(schema);
    }
    return samples;
  }

  /**
   * Evidence for where an append's time goes: the statements the `pg` driver sends per
   * single-event append (100 sequential appends on 10 streams, per variant).
   */
  async statementsPerAppend(): Promise<
    Record<string, { appends: number; perAppend: number; texts: string[] }>
  > {
    const { schema, stores, s } = await this.freshSchema('append_count');
    const out: Record<string, { appends: number; perAppend: number; texts: string[] }> = {};
    const appends = 100;
    try {
      for (const variant of ['append', 'appendNoHash', 'appendTx'] as const) {
        const target = this.targets(stores, s, `count-${variant}`)[variant];
        const { count, texts } = await countStatements(() => drive(appends, 10, 1, target));
        out[variant] = { appends, perAppend: count / appends, texts };
      }
      return out;
    } finally {
      await this.cleanup.dropSchema(schema);
    }
  }
}

type Stores = { plain: EventStore; projected: EventStore };

/** An inline projection that handles nothing: makes the store open a transaction, as services with read models do. */
const noopProjection: InlineProjection = { name: 'bench-noop', handles: [], apply: async () => undefined };
