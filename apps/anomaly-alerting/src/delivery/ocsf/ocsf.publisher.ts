import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Topics } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { connectProducer } from '@warden/messaging';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { AnomalyAlertingConfig } from '../../core/config';
import { OCSF_VERSION } from './ocsf.mapper';

const BATCH = 500;
const IDLE_MS = 100;

/**
 * Publishes `ocsf_outbox` (the alerts' Detection Findings) to `warden.alerts.ocsf.v1`, keyed by alert
 * id; logins' Authentication records are sent by the detection consumer itself. Each
 * instance takes batches with `FOR UPDATE SKIP LOCKED` and deletes them in the same transaction
 * after Kafka acknowledged: at least once (a crash after the send re-sends the batch; the
 * record's `metadata.uid` is the Warden event id, for SIEM-side deduplication).
 */
@Injectable()
export class OcsfPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OcsfPublisher');
  private producer: Producer | null = null;
  private readonly topic: string;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(CONFIG) config: AnomalyAlertingConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {
    this.topic = `${config.KAFKA_TOPIC_PREFIX}${Topics.alertsOcsf}`;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const s = quoteSchema(this.store.schema);
    let backoff = 100;
    while (this.running) {
      try {
        const producer = (this.producer ??= await connectProducer(this.kafka, [this.topic]));
        const sent = await this.dataSource.transaction(async (manager) => {
          const rows: Array<{ id: string; key: string; record: unknown }> = await manager.query(
            `SELECT id, key, record FROM ${s}.ocsf_outbox ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
          );
          if (!rows.length) return 0;
          await producer.send({
            topic: this.topic,
            acks: -1,
            messages: rows.map((r) => ({ key: r.key, value: JSON.stringify(r.record), headers: { 'ocsf-version': OCSF_VERSION } })),
          });
          await manager.query(`DELETE FROM ${s}.ocsf_outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
          return rows.length;
        });
        backoff = 100;
        if (sent < BATCH) await new Promise((r) => setTimeout(r, IDLE_MS));
      } catch (error) {
        this.logger.warn({ err: (error as Error).message, retryInMs: backoff }, 'OCSF publish failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
