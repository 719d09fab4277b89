import { Topics } from '@warden/contracts';
import {
  createTopics,
  expectEventually,
  freePort,
  launchApp,
  testEnv,
  testKafka,
  testProducer,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { Kafka, Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { EventBuilder } from './event-builder';

export type Alert = {
  id: string;
  rule: string;
  severity: string;
  userId: string | null;
  count: number;
  status: string;
  evidence: string[];
  summary: string;
};

export const TOPICS = {
  auth: Topics.events('authorization'),
  exports: Topics.events('exports'),
  access: Topics.access,
};

/** One running anomaly-alerting (or more, sharing schema and group) with its own schema, topics, Redis prefix and JWKS. */
export class AlertingHarness {
  readonly schema = uniqueName('e2e_aa');
  readonly prefix = uniqueTopicPrefix('aa');
  readonly redisPrefix = `${uniqueName('aa')}:`;
  readonly kafka: Kafka = testKafka('aa-e2e');
  readonly keks = `1:${randomBytes(32).toString('base64')}`;
  producer!: Producer;
  events!: EventBuilder;
  issuer!: TestTokenIssuer;
  apps: LaunchedApp[] = [];
  /** A build directory (tools/build): instances run compiled from it, as production runs them; else from source. */
  build: string | undefined;
  tokens: Record<'officer' | 'auditor' | 'staff', string> = { officer: '', auditor: '', staff: '' };

  async start(instances = 1, extraEnv: Record<string, string> = {}): Promise<void> {
    this.issuer = await TestTokenIssuer.start();
    await createTopics(this.kafka, [...Object.values(TOPICS), Topics.alerts, Topics.alertsOcsf].map((t) => `${this.prefix}${t}`));
    this.producer = testProducer(this.kafka);
    await this.producer.connect();
    this.events = new EventBuilder(this.producer, this.prefix);
    this.tokens = {
      officer: await this.issuer.issue({ roles: ['security_officer'], expiresIn: 3600 }),
      auditor: await this.issuer.issue({ roles: ['auditor'], expiresIn: 3600 }),
      staff: await this.issuer.issue({ roles: ['staff'], expiresIn: 3600 }),
    };
    for (let i = 0; i < instances; i += 1) await this.launch(extraEnv);
    await this.waitUntilConsuming();
  }

  /**
   * Ready (HTTP) comes before the consumer has joined its group; under load joining takes a while.
   * Probe events that no rule fires on (spread over the partitions), counted in `/metrics` by every
   * instance's consumer, say the partitions are being read: each running instance must have handled one.
   */
  async waitUntilConsuming(): Promise<void> {
    await expectEventually(
      async () => {
        const probe = randomBytes(8).toString('hex');
        await this.events.emit(TOPICS.auth, `user-probe-${probe}`, 'UserStatusChanged', {
          userId: '00000000-0000-7000-8000-000000000000',
          from: 'active',
          to: 'active',
          reason: `probe ${probe}`,
        });
        const alive = this.apps.filter((a) => a.process.exitCode === null && a.process.signalCode === null);
        for (const app of alive) {
          if ((await this.handledBy(app)) === 0) throw new Error(`the consumer of ${app.url} has not handled anything yet`);
        }
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
  }

  async launch(extraEnv: Record<string, string> = {}): Promise<LaunchedApp> {
    const port = await freePort();
    const env = testEnv();
    const app = await launchApp('anomaly-alerting', {
      port,
      build: this.build,
      readyTimeoutMs: 120_000,
      env: {
        ANOMALY_ALERTING_PORT: String(port),
        ANOMALY_ALERTING_DB_SCHEMA: this.schema,
        ANOMALY_ALERTING_REDIS_PREFIX: this.redisPrefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: this.prefix,
        AUTH_JWKS_URL: this.issuer.jwksUrl,
        WARDEN_KEKS: this.keks,
        WEBHOOKS_ALLOW_HTTP: 'true',
        ...extraEnv,
      },
    });
    this.apps.push(app);
    return app;
  }

  get url(): string {
    return this.apps.find((a) => a.process.exitCode === null && a.process.signalCode === null)!.url;
  }

  /** Stops every instance (gracefully: offsets committed); producer, issuer and state stay. */
  async stopInstances(): Promise<void> {
    await Promise.all(this.apps.map((a) => a.stop()));
    this.apps = [];
  }

  async stop(): Promise<void> {
    await this.stopInstances();
    await this.producer?.disconnect();
    await this.issuer?.stop();
  }

  call(path: string, { as = 'officer', method = 'GET', body }: { as?: keyof AlertingHarness['tokens']; method?: string; body?: unknown } = {}) {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.tokens[as]}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async json<T>(path: string, options?: Parameters<AlertingHarness['call']>[1]): Promise<T> {
    const res = await this.call(path, options);
    if (res.status >= 300) throw new Error(`${options?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async alertsOf(query: string): Promise<Alert[]> {
    return (await this.json<{ items: Alert[] }>(`/v1/alerts?${query}`)).items;
  }

  /** Every alert matching the query, all pages. */
  async allAlerts(query: string): Promise<Alert[]> {
    const all: Alert[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Alert[]; nextCursor: string | null } = await this.json(`/v1/alerts?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  /** Messages an instance's detection consumer handled (its `/metrics`). */
  async handledBy(app: LaunchedApp): Promise<number> {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    return [...text.matchAll(/warden_consumer_messages_total\{[^}]*outcome="handled"[^}]*\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  /** Waits until exactly `count` alerts match the query (and returns them). */
  async eventuallyAlerts(query: string, check: (alerts: Alert[]) => boolean, timeoutMs = 90_000): Promise<Alert[]> {
    return expectEventually(
      async () => {
        const alerts = await this.alertsOf(query);
        if (!check(alerts)) throw new Error(`alerts for ${query}: ${JSON.stringify(alerts)}`);
        return alerts;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }
}
