import { randomUUID } from 'node:crypto';
import { eventRegistry, systemActor } from '@warden/contracts';
import type { CommandMetadata, NewEvent } from '@warden/event-store';
import { dropTestSchema } from '@warden/testing';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** The product's own registry: appends validate real `CustomerRegistered` data (about 250 bytes). */
export const registry = eventRegistry;
export const EVENT_TYPE = 'CustomerRegistered';

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return value;
};

export type BenchConfig = {
  runs: number;
  only: ReadonlySet<string>;
  append: { events: number; infoEvents: number; streams: number; concurrency: number };
  relay: { events: number; batchSize: number };
  lag: { rate: number; seconds: number; writers: number; streams: number; consumer: boolean };
};

export function loadConfig(): BenchConfig {
  const only = (process.env.BENCH_ONLY ?? 'append,relay,lag')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of only) {
    if (!['append', 'relay', 'lag'].includes(name))
      throw new Error(`BENCH_ONLY: unknown benchmark "${name}"`);
  }
  return {
    runs: intEnv('BENCH_RUNS', 5),
    only: new Set(only),
    append: {
      events: intEnv('BENCH_APPEND_EVENTS', 5000),
      infoEvents: intEnv('BENCH_APPEND_INFO_EVENTS', 1500),
      streams: intEnv('BENCH_APPEND_STREAMS', 96),
      concurrency: intEnv('BENCH_APPEND_CONCURRENCY', 8),
    },
    relay: { events: intEnv('BENCH_RELAY_EVENTS', 20_000), batchSize: intEnv('BENCH_RELAY_BATCH', 500) },
    lag: {
      rate: intEnv('BENCH_LAG_RATE', 1000),
      seconds: intEnv('BENCH_LAG_SECONDS', 10),
      writers: intEnv('BENCH_LAG_WRITERS', 8),
      streams: intEnv('BENCH_LAG_STREAMS', 200),
      consumer: process.env.BENCH_LAG_CONSUMER !== '0',
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export type Spread = { median: number; min: number; max: number; values: number[] };

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values: [...values] };
}

/** Event data as the customer-records service appends it. */
export function customerEvent(n: number): NewEvent {
  return {
    type: EVENT_TYPE,
    data: {
      customerId: randomUUID(),
      tags: ['enterprise', 'emea', `segment-${n % 13}`],
      classification: 'confidential',
      ownerId: `user-${n % 101}@example.com`,
      teamId: `team-${n % 7}`,
      // Shaped like the ciphertexts and blind indexes customer-records stores (encryption itself is
      // done before the append and is not part of what this measures).
      sensitive: {
        name: { ciphertext: SAMPLE_CIPHERTEXT },
        company: { ciphertext: SAMPLE_CIPHERTEXT },
        mobile: { ciphertext: SAMPLE_CIPHERTEXT, index: SAMPLE_INDEX },
        email: { ciphertext: SAMPLE_CIPHERTEXT, index: SAMPLE_INDEX },
      },
    },
  };
}

const SAMPLE_CIPHERTEXT = `v1.${'A'.repeat(16)}.${'B'.repeat(43)}`;
const SAMPLE_INDEX = 'c'.repeat(64);

export const metadata = (): CommandMetadata => ({
  actor: systemActor('bench'),
  correlationId: randomUUID(),
  now: new Date(),
});

/** The stream (customer) ids of one run; `prefix` keeps runs apart. */
export const streamId = (prefix: string, n: number) => `customer-${prefix}-${n}`;

/** What must be undone at the end (or on Ctrl-C): schemas to drop and topics to delete. */
export class Cleanup {
  private readonly schemas: Array<{ dataSource: DataSource; schema: string }> = [];
  private readonly topics = new Set<string>();

  schema(dataSource: DataSource, schema: string): void {
    this.schemas.push({ dataSource, schema });
  }

  topic(...topics: string[]): void {
    for (const t of topics) this.topics.add(t);
  }

  /** Drops one schema now (and forgets it). */
  async dropSchema(schema: string): Promise<void> {
    const at = this.schemas.findIndex((s) => s.schema === schema);
    if (at < 0) return;
    const [entry] = this.schemas.splice(at, 1);
    await dropTestSchema(entry.dataSource, entry.schema);
  }

  async run(admin: Admin | null): Promise<string[]> {
    const problems: string[] = [];
    for (const { dataSource, schema } of this.schemas.splice(0)) {
      await dropTestSchema(dataSource, schema).catch((error: Error) =>
        problems.push(`could not drop schema ${schema}: ${error.message}`),
      );
    }
    if (admin && this.topics.size) {
      const topics = [...this.topics];
      this.topics.clear();
      await admin
        .deleteTopics({ topics, timeout: 10_000 })
        .catch((error: Error) =>
          problems.push(`could not delete ${topics.length} bench topics: ${error.message}`),
        );
    }
    return problems;
  }
}

/**
 * Runs `during` while counting every statement any `pg` client of this process sends (TypeORM's
 * pool included), by wrapping Client#query. Returns the count and the statements by text.
 */
export async function countStatements(
  during: () => Promise<unknown>,
): Promise<{ count: number; texts: string[] }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const texts = new Map<string, number>();
  let count = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    count += 1;
    const first = args[0] as string | { text?: string };
    const text = (typeof first === 'string' ? first : (first?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 70);
    texts.set(text, (texts.get(text) ?? 0) + 1);
    return original.apply(this, args);
  };
  try {
    await during();
  } finally {
    proto.query = original;
  }
  return {
    count,
    texts: [...texts.entries()].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${n}x ${text}`),
  };
}
