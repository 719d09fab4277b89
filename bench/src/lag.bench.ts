// 3. Relay lag at a steady write rate (default 1,000 events/s for 10 s, 8 writers).
//
// Per repetition: a fresh schema and topic, the relay as the services configure it (default
// batchSize 500 and idleMs 10, no nudge), optionally a plain kafkajs consumer on the topic.
// Writers append one event per call on a paced schedule: event i is due at t0 + i / rate, writer
// w takes events i ≡ w (mod writers) and its own streams. A writer that falls behind sends at
// once (the slip is reported).
//   relay lag   = time onPublished reports the event (after Kafka acks and the checkpoint moves)
//                 − time append() resolved (the commit was acknowledged to the writer)
//   end-to-end  = time the plain consumer received it − time append() resolved
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GENESIS_HASH } from '@warden/contracts';
import { EventRelay, EventStore } from '@warden/event-store';
import { createIdempotentProducer, ensureTopics } from '@warden/messaging';
import { createTestSchema, uniqueName, uniqueTopicPrefix } from '@warden/testing';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import {
  type BenchConfig,
  Cleanup,
  customerEvent,
  log,
  metadata,
  percentile,
  registry,
  sleep,
  streamId,
} from './common';
import { withTimeout } from './relay.bench';

export type Distribution = {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
};

export type LagSample = {
  rep: number;
  events: number;
  targetRate: number;
  achievedRate: number;
  maxSlipMs: number;
  relayBatches: number;
  meanBatchSize: number;
  relayLagMs: Distribution;
  endToEndMs: Distribution | null;
  appendLatencyMs: Distribution;
  /** CPU this process (writers, relay and consumer share one event loop) used during the load, in % of one core. */
  processCpuPercent: number;
  /** Event-loop delay during the load: how long ready callbacks waited for the single JS thread. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
};

const distribution = (values: number[]): Distribution => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
};

const DRAIN_TIMEOUT_MS = 60_000;

export class LagBench {
  private readonly prefix = uniqueTopicPrefix('bench-lag');

  constructor(
    private readonly config: BenchConfig,
    private readonly cleanup: Cleanup,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  async rep(rep: number): Promise<LagSample> {
    const { rate, seconds, writers, streams, consumer: withConsumer } = this.config.lag;
    const { dataSource, schema } = await createTestSchema('bench_lag');
    this.cleanup.schema(dataSource, schema);
    const store = new EventStore({ dataSource, schema, registry });
    const topic = `${this.prefix}r${rep}`;
    await ensureTopics(this.admin, [topic]);
    this.cleanup.topic(topic);

    const committedAt = new Map<string, number>();
    const publishedAt = new Map<string, number>();
    const consumedAt = new Map<string, number>();
    const appendMs: number[] = [];
    let batches = 0;
    let batchEvents = 0;

    const relay = new EventRelay({
      dataSource,
      store,
      producer: createIdempotentProducer(this.kafka),
      topic,
      logger: {
        info: () => undefined,
        warn: (m, c) => log(`relay warn: ${m} ${JSON.stringify(c)}`),
        error: (m) => log(`relay error: ${m}`),
      },
      onPublished: (events) => {
        const now = performance.now();
        batches += 1;
        batchEvents += events.length;
        for (const e of events) publishedAt.set(e.eventId, now);
      },
    });

    let consumer: Consumer | null = null;
    try {
      if (withConsumer) {
        consumer = this.kafka.consumer({ groupId: uniqueName('bench-lag'), allowAutoTopicCreation: false });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const joined = new Promise<void>((resolve) =>
          consumer?.on(consumer.events.GROUP_JOIN, () => resolve()),
        );
        await consumer.run({
          eachMessage: async ({ message }) => {
            const id = message.headers?.['event-id'];
            if (id) consumedAt.set(String(id), performance.now());
          },
        });
        await withTimeout(joined, 30_000, () => 'consumer did not join its group');
      }
      relay.start();

      // Warm-up: the relay has connected and published, the consumer has fetched (not measured).
      const warm: string[] = [];
      let warmHash = GENESIS_HASH;
      for (let i = 0; i < 20; i += 1) {
        const result = await store.append(streamId('warm', 0), [customerEvent(i)], {
          expectedVersion: i,
          expectedHash: warmHash,
          metadata: metadata(),
        });
        warmHash = result.events[0].hash;
        warm.push(result.events[0].eventId);
      }
      await this.drained(warm, publishedAt, withConsumer ? consumedAt : null);
      await sleep(200);
      batches = 0;
      batchEvents = 0;

      const total = Math.round(rate * seconds);
      const interval = 1000 / rate;
      const perWriter = Math.max(1, Math.floor(streams / writers));
      let maxSlip = 0;
      let lastCommit = 0;
      const ids: string[] = [];
      const t0 = performance.now() + 20;
      const cpuBefore = process.cpuUsage();
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const heads = Array.from({ length: perWriter }, () => ({ version: 0, hash: GENESIS_HASH }));
          let k = 0;
          for (let i = w; i < total; i += writers) {
            const due = t0 + i * interval;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait);
            const start = performance.now();
            maxSlip = Math.max(maxSlip, start - due);
            const slot = k++ % perWriter;
            const result = await store.append(streamId(`w${w}`, slot), [customerEvent(i)], {
              expectedVersion: heads[slot].version,
              expectedHash: heads[slot].hash,
              metadata: metadata(),
            });
            const now = performance.now();
            heads[slot] = { version: result.streamVersion, hash: result.events[0].hash };
            appendMs.push(now - start);
            committedAt.set(result.events[0].eventId, now);
            ids.push(result.events[0].eventId);
            lastCommit = Math.max(lastCommit, now);
          }
        }),
      );
      loopDelay.disable();
      const cpu = process.cpuUsage(cpuBefore);
      const loadMs = performance.now() - t0;
      await this.drained(ids, publishedAt, withConsumer ? consumedAt : null);

      const relayLag = ids.map((id) => (publishedAt.get(id) as number) - (committedAt.get(id) as number));
      const endToEnd = withConsumer
        ? ids.map((id) => (consumedAt.get(id) as number) - (committedAt.get(id) as number))
        : null;
      const sample: LagSample = {
        rep,
        events: total,
        targetRate: rate,
        achievedRate: (total / (lastCommit - t0)) * 1000,
        maxSlipMs: maxSlip,
        relayBatches: batches,
        meanBatchSize: batches ? batchEvents / batches : 0,
        relayLagMs: distribution(relayLag),
        endToEndMs: endToEnd ? distribution(endToEnd) : null,
        appendLatencyMs: distribution(appendMs),
        processCpuPercent: ((cpu.user + cpu.system) / 1000 / loadMs) * 100,
        eventLoopDelayMs: {
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        },
      };
      log(
        `lag rep ${rep + 1} ${sample.achievedRate.toFixed(0)} events/s: relay p50 ${sample.relayLagMs.p50.toFixed(1)} ` +
          `p99 ${sample.relayLagMs.p99.toFixed(1)} max ${sample.relayLagMs.max.toFixed(1)} ms` +
          (sample.endToEndMs
            ? `; end-to-end p50 ${sample.endToEndMs.p50.toFixed(1)} p99 ${sample.endToEndMs.p99.toFixed(1)} ms`
            : '') +
          `; bench process CPU ${sample.processCpuPercent.toFixed(0)}%, event-loop delay p99 ${sample.eventLoopDelayMs.p99.toFixed(1)} ms`,
      );
      return sample;
    } finally {
      await relay.stop();
      await consumer?.disconnect().catch(() => undefined);
      await this.cleanup.dropSchema(schema);
    }
  }

  /** Waits until every id was published (and consumed, when there is a consumer). */
  private async drained(
    ids: readonly string[],
    published: Map<string, number>,
    consumed: Map<string, number> | null,
  ): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const missingPublished = ids.filter((id) => !published.has(id)).length;
      const missingConsumed = consumed ? ids.filter((id) => !consumed.has(id)).length : 0;
      if (missingPublished === 0 && missingConsumed === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `lag: ${missingPublished} events not published, ${missingConsumed} not consumed after ${DRAIN_TIMEOUT_MS / 1000} s`,
        );
      }
      await sleep(50);
    }
  }
}
