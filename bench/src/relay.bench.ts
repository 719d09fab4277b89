// 2. Relay rate vs a raw kafkajs producer sending the same messages, in the same run.
//
// Setup (once): a fresh schema with `events` events (appends of 10 events, 8 writers, 200 streams).
// Subject: an EventRelay (batchSize 500, a checkpoint name and a fresh topic of its own per
// repetition, so it starts from the beginning of the log), timed from start() until it has
// published (and checkpointed) every event. Includes its leader lock and producer connect.
// Baseline: createIdempotentProducer (idempotent, maxInFlightRequests 1) sending the same
// messages (same key, value, timestamp and headers, serialised beforehand) in batches of 500
// with acks -1 to another fresh topic, timed from connect() to the last acknowledgement.
import { performance } from 'node:perf_hooks';
import { type EventEnvelope, GENESIS_HASH } from '@warden/contracts';
import { EventRelay, EventStore, LOG_START } from '@warden/event-store';
import { createIdempotentProducer, ensureTopics } from '@warden/messaging';
import { createTestSchema, uniqueTopicPrefix } from '@warden/testing';
import type { Admin, Kafka, Message } from 'kafkajs';
import type { DataSource } from 'typeorm';
import {
  type BenchConfig,
  Cleanup,
  countStatements,
  customerEvent,
  log,
  metadata,
  registry,
  sleep,
  streamId,
} from './common';

export type RelayVariant = 'relay' | 'producer';
export type RelaySample = {
  rep: number;
  variant: RelayVariant;
  events: number;
  ms: number;
  perSecond: number;
};

const PRE_APPEND_WRITERS = 8;
const PRE_APPEND_STREAMS = 200;
const PRE_APPEND_BATCH = 10;
const TIMEOUT_MS = 180_000;

/** The message the relay makes of an envelope (kept identical to EventRelay.publishNextBatch). */
const toMessage = (envelope: EventEnvelope): Message => ({
  key: envelope.streamId,
  value: JSON.stringify(envelope),
  timestamp: String(Date.parse(envelope.occurredAt)),
  headers: {
    'event-id': envelope.eventId,
    'event-type': envelope.type,
    'schema-version': String(envelope.schemaVersion),
    'correlation-id': envelope.correlationId,
  },
});

export class RelayBench {
  private dataSource!: DataSource;
  private store!: EventStore;
  private batches: Message[][] = [];
  private lastInLogOrder!: { transactionId: string; globalPosition: number };
  private readonly prefix = uniqueTopicPrefix('bench-relay');

  constructor(
    private readonly config: BenchConfig,
    private readonly cleanup: Cleanup,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  private get events(): number {
    return this.config.relay.events;
  }

  async setup(): Promise<void> {
    const { dataSource, schema } = await createTestSchema('bench_relay');
    this.cleanup.schema(dataSource, schema);
    this.dataSource = dataSource;
    this.store = new EventStore({ dataSource, schema, registry });
    const started = performance.now();
    // Appends of PRE_APPEND_BATCH events (the relay reads the log row by row, whatever the
    // transactions were), by 8 writers that each own their streams: fast to set up.
    let next = 0;
    await Promise.all(
      Array.from({ length: PRE_APPEND_WRITERS }, async (_, w) => {
        const heads = new Map<number, { version: number; hash: string }>();
        for (;;) {
          const first = next;
          next += PRE_APPEND_BATCH;
          if (first >= this.events) return;
          const count = Math.min(PRE_APPEND_BATCH, this.events - first);
          // Writer w owns the streams ≡ w (mod writers).
          const stream =
            w + PRE_APPEND_WRITERS * ((first / PRE_APPEND_BATCH) % (PRE_APPEND_STREAMS / PRE_APPEND_WRITERS));
          const head = heads.get(stream) ?? { version: 0, hash: GENESIS_HASH };
          const events = Array.from({ length: count }, (_, k) => customerEvent(first + k));
          const result = await this.store.append(streamId('relay', stream), events, {
            expectedVersion: head.version,
            expectedHash: head.hash,
            metadata: metadata(),
          });
          heads.set(stream, {
            version: result.streamVersion,
            hash: result.events[result.events.length - 1].hash,
          });
        }
      }),
    );
    log(
      `relay: pre-appended ${this.events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const log_ = await this.store.readLog(LOG_START, this.events + 1);
    if (log_.length !== this.events)
      throw new Error(`expected ${this.events} events in the log, read ${log_.length}`);
    const last = log_[log_.length - 1];
    this.lastInLogOrder = { transactionId: last.transactionId, globalPosition: last.globalPosition };
    const messages = log_.map(({ transactionId: _tx, ...envelope }) => toMessage(envelope));
    const size = this.config.relay.batchSize;
    this.batches = Array.from({ length: Math.ceil(messages.length / size) }, (_, i) =>
      messages.slice(i * size, (i + 1) * size),
    );
  }

  private async freshTopic(name: string): Promise<string> {
    const topic = `${this.prefix}${name}`;
    await ensureTopics(this.admin, [topic]);
    this.cleanup.topic(topic);
    return topic;
  }

  async runRelay(label: string): Promise<number> {
    const topic = await this.freshTopic(`relay-${label}`);
    let published = 0;
    let finished = 0;
    let done!: () => void;
    const allPublished = new Promise<void>((resolve) => (done = resolve));
    const relay = new EventRelay({
      dataSource: this.dataSource,
      store: this.store,
      producer: createIdempotentProducer(this.kafka),
      topic,
      name: `bench-${label}`,
      batchSize: this.config.relay.batchSize,
      logger: {
        info: () => undefined,
        warn: (m, c) => log(`relay warn: ${m} ${JSON.stringify(c)}`),
        error: (m) => log(`relay error: ${m}`),
      },
      onPublished: (events) => {
        published += events.length;
        if (published >= this.events) {
          finished = performance.now();
          done();
        }
      },
    });
    const started = performance.now();
    relay.start();
    try {
      await withTimeout(allPublished, TIMEOUT_MS, () => `relay published ${published} of ${this.events}`);
      const checkpoint = await relay.checkpoint();
      if (
        checkpoint.globalPosition !== this.lastInLogOrder.globalPosition ||
        checkpoint.transactionId !== this.lastInLogOrder.transactionId
      ) {
        throw new Error(
          `relay checkpoint ${JSON.stringify(checkpoint)} is not the log's end ${JSON.stringify(this.lastInLogOrder)}`,
        );
      }
      if (published !== this.events)
        throw new Error(`relay published ${published} events, expected ${this.events}`);
    } finally {
      await relay.stop();
    }
    return finished - started;
  }

  async runProducer(label: string): Promise<number> {
    const topic = await this.freshTopic(`producer-${label}`);
    const producer = createIdempotentProducer(this.kafka);
    const started = performance.now();
    try {
      await producer.connect();
      for (const messages of this.batches) await producer.send({ topic, acks: -1, messages });
      return performance.now() - started;
    } finally {
      await producer.disconnect();
    }
  }

  /** One untimed pass of each, so that the broker, connections and JIT are warm. */
  async warmUp(): Promise<void> {
    await this.runProducer('warm');
    await this.runRelay('warm');
  }

  /** One repetition: baseline and subject, the order alternating with `rep`. */
  async rep(rep: number): Promise<RelaySample[]> {
    const order: RelayVariant[] = rep % 2 === 0 ? ['producer', 'relay'] : ['relay', 'producer'];
    const samples: RelaySample[] = [];
    for (const variant of order) {
      const ms = variant === 'relay' ? await this.runRelay(`r${rep}`) : await this.runProducer(`r${rep}`);
      const sample = { rep, variant, events: this.events, ms, perSecond: (this.events / ms) * 1000 };
      samples.push(sample);
      log(`relay rep ${rep + 1} ${variant.padEnd(8)} ${sample.perSecond.toFixed(0)} events/s`);
    }
    return samples;
  }

  /**
   * Evidence: what an idle relay costs the database. Once it has caught up, counts the statements
   * its `pg` client sends in 2 s with nothing to publish.
   */
  async idlePolling(): Promise<{ seconds: number; statements: number; perSecond: number; texts: string[] }> {
    const topic = await this.freshTopic('idle');
    let published = 0;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    const relay = new EventRelay({
      dataSource: this.dataSource,
      store: this.store,
      producer: createIdempotentProducer(this.kafka),
      topic,
      name: 'bench-idle',
      batchSize: this.config.relay.batchSize,
      onPublished: (events) => {
        published += events.length;
        if (published >= this.events) caughtUp();
      },
    });
    relay.start();
    try {
      await withTimeout(ready, TIMEOUT_MS, () => `idle relay published ${published} of ${this.events}`);
      const seconds = 2;
      const { count, texts } = await countStatements(() => sleep(seconds * 1000));
      return { seconds, statements: count, perSecond: count / seconds, texts };
    } finally {
      await relay.stop();
    }
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
