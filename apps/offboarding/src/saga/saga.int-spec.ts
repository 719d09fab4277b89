import { randomBytes, randomUUID } from 'node:crypto';
import { eventRegistry, offboardingStreamId, Topics } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { Metrics } from '@warden/platform';
import { RevocationStore, ServiceTokenClient } from '@warden/security';
import {
  createTestSchema,
  createTopics,
  dropTestSchema,
  expectEventually,
  readTopic,
  testEnv,
  testKafka,
  testProducer,
  uniqueName,
  uniqueTopicPrefix,
} from '@warden/testing';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { caseReadModelMigrations, caseReadModelProjection } from '../case/projections/case-read-model.projection';
import { loadOffboardingConfig, type OffboardingConfig } from '../core/config';
import { DirectoryClient } from '../core/directory.client';
import { auditActivityAnswer } from '../test/audit-activity.fixture';
import { DirectoryStub } from '../test/directory-stub';
import { StepResponder } from '../test/step-responder';
import { AnswersConsumer } from './answers.consumer';
import { AnswersLagService, answersSubscription } from './answers-lag.service';
import { CommandPublisher, derivedId } from './command.publisher';
import { SagaRunner } from './saga-runner.service';
import { SagaService } from './saga.service';

const SECRET = randomBytes(24).toString('hex');
const HANDOVER_TIMEOUT_MS = 1500;

type Saga = { saga: SagaService; runner: SagaRunner; stopAnswers(): Promise<void>; stop(): Promise<void> };
type CaseRow = { status: string; step: string | null; next_action_at: Date | null; took_effect_at: Date | null };

/**
 * The saga's persistence and scheduler on real Postgres, Redis and Kafka, in this process: each
 * "instance" is a SagaService + SagaRunner + AnswersConsumer over the same schema (authorization,
 * exports and audit are stubs answering the step commands on Kafka; this tier is about what
 * survives a restart and who runs the saga).
 */
describe('offboarding saga (Postgres, Kafka)', () => {
  jest.setTimeout(120_000);
  const env = testEnv();
  const prefix = uniqueTopicPrefix('offb-int');
  const kafka = testKafka('offboarding-int');
  const commandsTopic = `${prefix}${Topics.commands('customer-records')}`;
  let dataSource: DataSource;
  let schema = '';
  let store: EventStore;
  let stub: DirectoryStub;
  let steps: StepResponder;
  let redis: Redis;
  let config: OffboardingConfig;
  const running: Saga[] = [];

  const user = () => {
    const id = randomUUID();
    stub.users.set(id, { id, status: 'active', teamId: null, managerId: null });
    return id;
  };

  /** One saga instance (what one offboarding process runs). */
  const startSaga = (): Saga => {
    const tokens = new ServiceTokenClient({ authorizationUrl: stub.url, clientId: 'offboarding', clientSecret: SECRET });
    const publisher = new CommandPublisher(kafka, prefix);
    const lag = new AnswersLagService(kafka, config);
    const directory = new DirectoryClient(stub.url, tokens);
    const saga = new SagaService(store, dataSource, directory, publisher, new RevocationStore(redis), lag, config);
    const runner = new SagaRunner(saga, dataSource, store, publisher, config);
    const answers = new AnswersConsumer(kafka, config, dataSource, store, saga, directory, new Metrics());
    runner.onApplicationBootstrap();
    answers.onApplicationBootstrap();
    const instance: Saga = {
      saga,
      runner,
      stopAnswers: () => answers.onApplicationShutdown(),
      stop: async () => {
        running.splice(running.indexOf(instance), 1);
        await answers.onApplicationShutdown();
        await runner.onApplicationShutdown();
        await lag.onApplicationShutdown();
      },
    };
    running.push(instance);
    return instance;
  };

  const request = async (saga: SagaService, effectiveAt: Date): Promise<{ caseId: string; userId: string }> => {
    const caseId = randomUUID();
    const userId = user();
    const now = new Date();
    await saga.handle(
      caseId,
      {
        type: 'RequestOffboarding',
        now: now.toISOString(),
        data: {
          caseId,
          userId,
          successorId: user(),
          successorPoolId: null,
          effectiveAt: effectiveAt.toISOString(),
          reason: 'resigned',
          notes: null,
          source: 'hr',
          requestedBy: 'hr-user',
        },
      },
      now,
    );
    return { caseId, userId };
  };
  const row = async (caseId: string): Promise<CaseRow> =>
    ((await dataSource.query(`SELECT status, step, next_action_at, took_effect_at FROM "${schema}".offboarding_cases WHERE case_id = $1`, [caseId])) as CaseRow[])[0];
  const types = async (caseId: string): Promise<string[]> =>
    ((await dataSource.query(`SELECT type FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`, [offboardingStreamId(caseId)])) as Array<{ type: string }>).map(
      (e) => e.type,
    );
  const transferCommands = (caseId: string, atLeast: number) =>
    readTopic(kafka, commandsTopic, {
      until: (read) => read.filter((m) => m.value.includes(derivedId(caseId, 'transfer-command'))).length >= atLeast,
      timeoutMs: 30_000,
    }).then((read) => read.filter((m) => m.value.includes(derivedId(caseId, 'transfer-command'))));

  beforeAll(async () => {
    stub = await DirectoryStub.start(SECRET);
    stub.activity = { ...auditActivityAnswer };
    steps = new StepResponder(kafka, prefix, stub);
    redis = new Redis(env.redisUrl);
    schema = uniqueName('t_offboarding_saga');
    ({ dataSource } = await createTestSchema('offboarding_saga', caseReadModelMigrations(schema), schema));
    config = loadOffboardingConfig({
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      OFFBOARDING_DB_SCHEMA: schema,
      AUTHORIZATION_URL: stub.url,
      SERVICE_CLIENT_SECRET: SECRET,
      OFFBOARDING_SAGA_POLL_MS: '100',
      OFFBOARDING_HANDOVER_TIMEOUT_MS: String(HANDOVER_TIMEOUT_MS),
      OFFBOARDING_MAX_ATTEMPTS: '50',
    });
    store = new EventStore({
      dataSource,
      schema,
      registry: eventRegistry,
      projections: [caseReadModelProjection(schema, { handoverTimeoutMs: HANDOVER_TIMEOUT_MS })],
    });
    await createTopics(kafka, [commandsTopic, ...steps.topics, ...answersSubscription(prefix).topics]);
    await steps.start();
  });

  afterEach(() => {
    steps.holdDeparting = null;
  });

  afterAll(async () => {
    for (const saga of [...running]) await saga.stop();
    await steps?.stop();
    await stub?.stop();
    redis?.disconnect();
    await dropTestSchema(dataSource, schema);
  });

  it('keeps a case dated in the future across a restart of the saga and makes it take effect on time', async () => {
    const first = startSaga();
    const effectiveAt = new Date(Date.now() + 6000);
    const { caseId, userId } = await request(first.saga, effectiveAt);
    await expectEventually(() => expect(stub.departing.get(userId)).toBe(effectiveAt.toISOString()), { timeoutMs: 20_000 });
    await expectEventually(async () => expect(await row(caseId)).toMatchObject({ status: 'scheduled', step: 'takeEffect', next_action_at: effectiveAt }));
    await first.stop(); // the process ends: all that remains is in Postgres

    const second = startSaga();
    await expectEventually(async () => expect(await types(caseId)).toContain('HandoverStarted'), { timeoutMs: 30_000 });
    const taken = await row(caseId);
    expect(taken.status).toBe('in_progress');
    expect(taken.took_effect_at?.getTime()).toBeGreaterThanOrEqual(effectiveAt.getTime());
    expect(stub.frozen.get(userId)).toBeGreaterThanOrEqual(effectiveAt.getTime());
    expect(await redis.exists(RevocationStore.userKey(userId))).toBe(1);
    const [command] = await transferCommands(caseId, 1);
    expect(JSON.parse(command.value)).toMatchObject({ type: 'TransferCustomers', correlationId: caseId, data: { fromUserId: userId } });
    // Each step recorded once, though two instances ran the case; each answered command recorded.
    // (An answer may be recorded before the saga records that it sent the step: then the step's
    // OffboardingStepStarted is not appended, as the case has moved on.)
    const recorded = await types(caseId);
    const count = (type: string) => recorded.filter((t) => t === type).length;
    expect(recorded.slice(0, 2)).toEqual(['OffboardingRequested', 'OffboardingScheduled']);
    for (const type of ['UserMarkedDepartingRecorded', 'OffboardingTookEffect', 'AccessFrozen', 'HandoverStarted']) expect(count(type)).toBe(1);
    expect(count('OffboardingCommandAnswered')).toBe(2);
    expect(count('OffboardingStepStarted')).toBeLessThanOrEqual(2);
    expect(count('OffboardingStepFailed')).toBe(0);
    expect(recorded.indexOf('UserMarkedDepartingRecorded')).toBeLessThan(recorded.indexOf('OffboardingTookEffect'));
    expect(recorded.indexOf('OffboardingTookEffect')).toBeLessThan(recorded.indexOf('AccessFrozen'));
    expect(recorded.indexOf('AccessFrozen')).toBeLessThan(recorded.indexOf('HandoverStarted'));
    expect(steps.commandsOf('MarkUserDeparting', userId)).toHaveLength(1);
    expect(steps.commandsOf('FreezeUserAccess', userId)).toHaveLength(1);
    expect(steps.commandsOf('CancelUserExports', userId)).toHaveLength(1);
    await second.stop();
  });

  it('clears the departing mark it made while the case was being cancelled', async () => {
    let release: () => void = () => undefined;
    steps.holdDeparting = new Promise<void>((resolve) => {
      release = resolve;
    });
    const saga = startSaga();
    const { caseId, userId } = await request(saga.saga, new Date(Date.now() + 3600_000));
    // The saga's mark is on its way when the case is cancelled (the cancel found no mark to clear yet).
    await expectEventually(() => expect(steps.commandsOf('MarkUserDeparting', userId)).toHaveLength(1), { timeoutMs: 20_000 });
    // The saga records the step once its command is on its way; after that it waits for the answer.
    await expectEventually(async () => expect(await types(caseId)).toContain('OffboardingStepStarted'), { timeoutMs: 20_000 });
    await saga.saga.handle(caseId, { type: 'CancelOffboarding', data: { cancelledBy: 'hr-user', reason: 'stays after all' } }, new Date());
    steps.holdDeparting = null;
    release();
    await expectEventually(() => expect(stub.callsTo(new RegExp(`POST /v1/users/${userId}/departing/cancel$`))).toBe(1), { timeoutMs: 20_000 });
    expect(stub.departing.has(userId)).toBe(false);
    expect(stub.users.get(userId)?.status).toBe('active');
    expect(await types(caseId)).toEqual(['OffboardingRequested', 'OffboardingScheduled', 'OffboardingStepStarted', 'OffboardingCancelled']);
    await saga.stop();
  });

  it('runs the saga in one instance at a time; another takes over when it stops', async () => {
    const a = startSaga();
    const b = startSaga();
    await expectEventually(() => expect([a.runner.leading, b.runner.leading].filter(Boolean)).toHaveLength(1), { timeoutMs: 10_000 });
    const [leader, other] = a.runner.leading ? [a, b] : [b, a];
    await leader.stop();
    await expectEventually(() => expect(other.runner.leading).toBe(true), { timeoutMs: 10_000 });
    const { caseId } = await request(other.saga, new Date());
    await expectEventually(async () => expect(await types(caseId)).toContain('HandoverStarted'), { timeoutMs: 30_000 });
    await other.stop();
  });

  it('does not count a silent hand-over while its answers wait unread on the topic, and does once they are read', async () => {
    const saga = startSaga();
    const { caseId } = await request(saga.saga, new Date());
    await expectEventually(async () => expect(await types(caseId)).toContain('HandoverStarted'), { timeoutMs: 30_000 });
    // An answer on the topic that the (now stopped) answers consumer has not read: the group is behind.
    await saga.stopAnswers();
    const producer = testProducer(kafka);
    await producer.connect();
    const [answersTopic] = answersSubscription(prefix).topics;
    await producer.send({ topic: answersTopic, acks: -1, messages: [{ key: 'x', value: '{}' }] });
    await producer.disconnect();
    // Silences counted while the consumer was still reading (before it stopped) stay as they are; a
    // visit under way when the answer landed may still count one.
    const failures = async () => (await types(caseId)).filter((t) => t === 'OffboardingStepFailed').length;
    await new Promise((resolve) => setTimeout(resolve, HANDOVER_TIMEOUT_MS));
    const before = await failures();
    // Several timeouts pass: nothing more is counted, the case only looks again later.
    await new Promise((resolve) => setTimeout(resolve, HANDOVER_TIMEOUT_MS * 3));
    expect(await failures()).toBe(before);
    expect((await row(caseId)).next_action_at).not.toBeNull();

    // The consumer catches up (offsets at the end): the silence is customer-records' and counts.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groupId, topics } = answersSubscription(prefix);
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
      }
    } finally {
      await admin.disconnect();
    }
    await expectEventually(async () => expect(await failures()).toBeGreaterThan(before), { timeoutMs: 30_000 });
    // The same command (same id) is sent again after the counted timeout.
    expect((await transferCommands(caseId, 2)).length).toBeGreaterThanOrEqual(2);
    await saga.stop();
  });
});
