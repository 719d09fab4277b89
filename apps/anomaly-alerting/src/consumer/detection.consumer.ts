import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { eventRegistry, SERVICES, Topics } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { connectProducer, EventConsumer, type BatchContext, type BatchItem } from '@warden/messaging';
import { CONFIG, KAFKA, Metrics, REDIS } from '@warden/platform';
import type Redis from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { AlertService } from '../alerts/alert.service';
import type { AnomalyAlertingConfig } from '../core/config';
import type { Finding } from '../detection/detection.types';
import { Detector } from '../detection/detector';
import type { RuleSettingsMap } from '../detection/rule-settings';
import type { Signal } from '../detection/signal.types';
import { signalOf } from '../detection/signal.util';
import { DetectionStateStore } from '../detection/state/detection-state.store';
import { authenticationMessages } from '../delivery/ocsf/ocsf.mapper';
import { RuleSettingsService } from '../rules/rule-settings.service';
import { groupedFindings } from './finding-groups.util';
import { GeoLocator } from './geo-locator';

/** Arrays in a stored evidence copy are cut to this many items (a list event names up to 200 customers). */
const EVIDENCE_ARRAY_MAX = 10;

const compactData = (data: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.isArray(v) ? v.slice(0, EVIDENCE_ARRAY_MAX) : v]));

/**
 * Signals that touch the same Redis keys share a lane and are applied in order; lanes run side by
 * side. A user's events come from several streams, partitions and topics, so no order across them
 * was ever given: only the order within a user (or an export's request and download) is kept.
 */
export const laneOf = (signal: Signal): string => {
  switch (signal.kind) {
    case 'login-failed':
      return `u:${signal.userKey}`;
    case 'export-requested':
    case 'export-downloaded':
      return `x:${signal.exportId}`;
    case 'login-succeeded':
    case 'export-completed':
    case 'customers-accessed':
    case 'access-denied':
    case 'user-status':
      return `u:${signal.userId}`;
    default: {
      const unknown: never = signal;
      throw new Error(`unknown signal ${(unknown as { kind: string }).kind}`);
    }
  }
};

/** What detection found for one event (`signal` null: an event no rule reads). */
type Detection = { signal: Signal | null; findings: Finding[] };

/** The settings detection used and its result per fresh item of the batch. */
type PreparedBatch = { settings: RuleSettingsMap; detections: ReadonlyMap<BatchItem, Detection>; memoKeys: string[] };

/** Every service's events topic but this one's, and the read events. */
export const detectionTopics = (prefix: string): string[] => [
  ...SERVICES.filter((s) => s !== 'anomaly-alerting').map((s) => `${prefix}${Topics.events(s)}`),
  `${prefix}${Topics.access}`,
];

/**
 * The detector's consumer: one consumer group (`anomaly-alerting.detection`) over every events
 * topic and the read events; instances share the partitions. It runs in batch mode: for each
 * batch (up to `ANOMALY_ALERTING_BATCH_SIZE` events of a partition), the rules are applied to every
 * fresh event before any transaction opens (`prepareBatch`: state in Redis, idempotent per event
 * id, lanes per user in parallel, one Lua script per event) while the OCSF Authentication records
 * of its logins are sent to `warden.alerts.ocsf.v1` (acknowledged by Kafka before the batch's
 * offset is committed, so at least once: a retried batch sends them again, with the same
 * `metadata.uid`); then in the batch's one inbox transaction: the compact evidence copies (one
 * statement), and the alerts the findings raise or update, in (rule, subject) order so that
 * two instances never lock `open_alerts` rows in opposite orders. A retried batch runs detection
 * again and gets the same findings (each script keeps its answer per event id). Event types this
 * build does not know are let through unvalidated and ignored, rather than dead-lettered.
 */
@Injectable()
export class DetectionConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DetectionConsumer');
  private readonly newConsumer: () => EventConsumer<PreparedBatch>;
  private consumer: EventConsumer<PreparedBatch> | null = null;
  private stopping = false;
  private starting: Promise<void> | null = null;
  private readonly detector: Detector;
  private readonly state: DetectionStateStore;
  private readonly s: string;
  /** Sends the logins' OCSF Authentication records (`ocsfTopic`); connected before the consumer starts. */
  private producer: Producer | null = null;
  private readonly ocsfTopic: string;
  /**
   * Seconds per phase of a batch (`detect`: Redis and rules, before the transaction; `evidence`;
   * `alerts`; `batch`: the handler whole, in the transaction).
   */
  private readonly phase: Histogram<'phase'>;

  constructor(
    @Inject(CONFIG) config: AnomalyAlertingConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(REDIS) redis: Redis,
    dataSource: DataSource,
    store: EventStore,
    metrics: Metrics,
    private readonly geo: GeoLocator,
    private readonly settings: RuleSettingsService,
    private readonly alerts: AlertService,
  ) {
    this.s = quoteSchema(store.schema);
    this.ocsfTopic = `${config.KAFKA_TOPIC_PREFIX}${Topics.alertsOcsf}`;
    this.phase = new Histogram({
      name: 'warden_detection_batch_phase_seconds',
      help: 'Time spent per detection batch, by phase (detect: Redis state and rules, before the transaction; evidence: evidence copies; alerts; batch: the whole handler in the transaction)',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });
    this.state = new DetectionStateStore(redis, {
      prefix: config.ANOMALY_ALERTING_REDIS_PREFIX,
      memoTtlSeconds: config.ANOMALY_ALERTING_MEMO_TTL_SECONDS,
      committedMemoTtlSeconds: config.ANOMALY_ALERTING_COMMITTED_MEMO_TTL_SECONDS,
    });
    this.detector = new Detector(this.state);
    this.newConsumer = () => new EventConsumer<PreparedBatch>({
      kafka,
      groupId: `${config.KAFKA_TOPIC_PREFIX}anomaly-alerting.detection`,
      topics: detectionTopics(config.KAFKA_TOPIC_PREFIX),
      dataSource,
      schema: store.schema,
      registry: eventRegistry,
      decode: { allowUnknownTypes: true },
      prepareBatch: (items) => this.prepareBatch(items),
      handleBatch: (items, context) => this.handleBatch(items, context),
      // Committed events are skipped by the inbox from now on: their memos need not outlive the
      // batch. Not awaited: the next batch does not wait on it, and a failure only leaves the
      // memos their hour.
      afterCommit: async (prepared) => {
        this.state
          .release(prepared.memoKeys)
          .catch((error: Error) => this.logger.warn({ err: error.message }, 'could not shorten committed memos; they expire in their own time'));
      },
      maxBatchSize: config.ANOMALY_ALERTING_BATCH_SIZE,
      partitionsConsumedConcurrently: config.ANOMALY_ALERTING_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: config.ANOMALY_ALERTING_SESSION_TIMEOUT_MS,
      logger: {
        info: (message, context) => this.logger.log({ ...context }, message),
        warn: (message, context) => this.logger.warn({ ...context }, message),
        error: (message, context) => this.logger.error({ ...context }, message),
      },
      onOutcome: (topic, outcome) => metrics.consumed.inc({ topic, outcome }),
    });
  }

  /** Starts in the background, retrying while Kafka is unavailable: the API serves meanwhile (readiness says Kafka is down). */
  async onApplicationBootstrap(): Promise<void> {
    await this.geo.ready();
    this.starting = this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    let backoff = 500;
    while (!this.stopping) {
      const consumer = this.newConsumer();
      try {
        this.producer ??= await connectProducer(this.kafka, [this.ocsfTopic]);
        this.consumer = consumer;
        await consumer.start();
        return;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message, retryInMs: backoff }, 'detection consumer could not start; retrying');
        await consumer.stop().catch(() => undefined);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.consumer?.stop();
    await this.producer?.disconnect().catch(() => undefined);
  }

  /**
   * Before the batch's transaction: the rules applied to every fresh event (Redis state, idempotent
   * per event id, so a retry of the batch gets the same findings) and, meanwhile, the logins' OCSF
   * Authentication records sent (a failed send fails the batch, which is then retried).
   */
  private async prepareBatch(items: readonly BatchItem[]): Promise<PreparedBatch> {
    const started = performance.now();
    const settings = await this.settings.current();
    const signals = items.map((item) => signalOf(item.event, this.geo.locate));
    const messages = authenticationMessages(items.map((item) => item.event));
    const [findings] = await Promise.all([
      this.detectAll(signals, settings),
      messages.length ? (this.producer as Producer).send({ topic: this.ocsfTopic, acks: -1, messages }) : null,
    ]);
    const detections = new Map<BatchItem, Detection>(items.map((item, i) => [item, { signal: signals[i], findings: findings[i] }]));
    this.phase.observe({ phase: 'detect' }, (performance.now() - started) / 1000);
    return { settings, detections, memoKeys: signals.flatMap((signal) => (signal ? this.state.memoKeys(signal) : [])) };
  }

  /** In the batch's transaction: evidence copies and alerts of what `prepareBatch` found. */
  private async handleBatch(items: readonly BatchItem[], { manager, prepared }: BatchContext<PreparedBatch>): Promise<void> {
    const started = performance.now();
    let mark = started;
    const lap = (phase: string) => {
      const now = performance.now();
      this.phase.observe({ phase }, (now - mark) / 1000);
      mark = now;
    };
    const { settings, detections } = prepared;
    const detected = items.map((item) => detections.get(item) as Detection);
    const signals = detected.map((d) => d.signal);
    const findings = detected.map((d) => d.findings);

    const evidence = items.flatMap(({ event, topic }, i) =>
      signals[i]
        ? [{ event_id: event.eventId, type: event.type, occurred_at: event.occurredAt, stream_id: event.streamId, topic, actor: event.actor, data: compactData(event.data) }]
        : [],
    );
    if (evidence.length) {
      await manager.query(
        `INSERT INTO ${this.s}.evidence_events (event_id, type, occurred_at, stream_id, topic, actor, data)
         SELECT e.event_id, e.type, e.occurred_at, e.stream_id, e.topic, e.actor, e.data
         FROM jsonb_to_recordset($1::jsonb) AS e(event_id uuid, type text, occurred_at timestamptz, stream_id text, topic text, actor jsonb, data jsonb)
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(evidence)],
      );
    }
    lap('evidence');
    // Per (rule, subject), in one fixed order across the batch (two instances never lock
    // `open_alerts` rows in opposite orders), each in the order of its events.
    await this.alerts.recordBatch(
      groupedFindings(findings).map((group) => ({
        sightings: group.map(({ finding, i }) => ({ finding, cause: items[i].event })),
        settings: settings[group[0].finding.rule],
      })),
      manager,
    );
    lap('alerts');
    this.phase.observe({ phase: 'batch' }, (performance.now() - started) / 1000);
  }

  /** The findings of each signal (same index); lanes of signals in parallel, each lane in order. */
  private async detectAll(signals: ReadonlyArray<Signal | null>, settings: RuleSettingsMap): Promise<Finding[][]> {
    const findings: Finding[][] = signals.map(() => []);
    const lanes = new Map<string, number[]>();
    signals.forEach((signal, i) => {
      if (!signal) return;
      const lane = laneOf(signal);
      const list = lanes.get(lane);
      if (list) list.push(i);
      else lanes.set(lane, [i]);
    });
    await Promise.all(
      [...lanes.values()].map(async (indexes) => {
        for (const i of indexes) findings[i] = await this.detector.detect(signals[i] as Signal, settings);
      }),
    );
    return findings;
  }
}
