import { randomBytes, randomUUID } from 'node:crypto';
import { systemActor, Topics, type CommandEnvelope, type CompileUserActivityCommand, type EventEnvelope, type UserActivityCompiledData } from '@warden/contracts';
import {
  connectTestSchema,
  createTopics,
  dropTestSchema,
  expectEventually,
  freePort,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  testProducer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
} from '@warden/testing';
import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { chainOf } from '../test/trail-fixtures';

/**
 * The running audit service answers `CompileUserActivity` from its commands topic (under the
 * deployment's topic prefix) with `UserActivityCompiled` on its events topic, and indexes that
 * answer in its own trail like every event.
 */
describe('audit (running app) answers CompileUserActivity', () => {
  jest.setTimeout(240_000);
  const kafka = testKafka('audit-activity-e2e');
  const prefix = uniqueTopicPrefix('e2e-audit-activity');
  const schema = uniqueName('e2e_audit_activity');
  const leaver = randomUUID();
  let app: LaunchedApp;
  let producer: Producer;
  let db: DataSource;

  beforeAll(async () => {
    await createTopics(kafka, [`${prefix}${Topics.events('authorization')}`, `${prefix}${Topics.commands('audit')}`]);
    producer = testProducer(kafka);
    await producer.connect();
    const port = await freePort();
    const env = testEnv();
    app = await launchApp('audit', {
      port,
      env: {
        AUDIT_PORT: String(port),
        AUDIT_DB_SCHEMA: schema,
        AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
        KAFKA_TOPIC_PREFIX: prefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
      },
      readyTimeoutMs: 90_000,
    });
    db = await connectTestSchema(schema, 'audit-activity-e2e');
  });

  afterAll(async () => {
    await app?.stop();
    await producer?.disconnect();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}_outbox" CASCADE`);
    await dropTestSchema(db, schema);
  });

  it('answers on warden.audit.events.v1, records the command in its inbox and indexes the answer', async () => {
    const logins = chainOf(`session-${leaver}`, [
      {
        type: 'LoginSucceeded',
        data: { userId: leaver, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: 'Amsterdam' } },
        actor: { userId: leaver, ip: '203.0.113.5', userAgent: 'Mozilla/5.0 (X11)', deviceId: 'laptop-1' },
      },
    ]);
    await producer.send({ topic: `${prefix}${Topics.events('authorization')}`, acks: -1, messages: logins.map((e) => ({ key: e.streamId, value: JSON.stringify(e) })) });
    await expectEventually(
      async () => expect(await db.query(`SELECT 1 FROM "${schema}".trail WHERE event_id = $1`, [logins[0].eventId])).toHaveLength(1),
      { timeoutMs: 90_000, intervalMs: 250 },
    );

    const command: CommandEnvelope<CompileUserActivityCommand> = {
      commandId: randomUUID(),
      type: 'CompileUserActivity',
      issuedAt: new Date().toISOString(),
      actor: systemActor('offboarding'),
      correlationId: `offboarding-case-${randomUUID()}`,
      data: { userId: leaver, days: 90 },
    };
    await producer.send({ topic: `${prefix}${Topics.commands('audit')}`, acks: -1, messages: [{ key: leaver, value: JSON.stringify(command) }] });

    const published = await readTopic(kafka, `${prefix}${Topics.events('audit')}`, {
      until: (messages) => messages.some((m) => m.headers['event-type'] === 'UserActivityCompiled'),
      timeoutMs: 90_000,
    });
    const answers = published.filter((m) => m.headers['event-type'] === 'UserActivityCompiled').map((m) => JSON.parse(m.value) as EventEnvelope<UserActivityCompiledData>);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    expect(answer).toMatchObject({
      streamId: `command-${command.commandId}`,
      causationId: command.commandId,
      correlationId: command.correlationId,
      actor: { userId: 'system:audit' },
      data: { commandId: command.commandId, userId: leaver, days: 90, eventCount: 1, truncated: false, summary: { logins: { count: 1, distinctIps: ['203.0.113.5'] } } },
    });

    const inbox: Array<{ consumer: string }> = await db.query(`SELECT consumer FROM "${schema}".processed_messages WHERE event_id = $1`, [command.commandId]);
    expect(inbox).toEqual([{ consumer: `${prefix}audit.activity-commands` }]);
    // The audit indexes its own events topic: the answer is in the trail, about the leaver.
    await expectEventually(
      async () =>
        expect(await db.query(`SELECT type, user_id, actor_id FROM "${schema}".trail WHERE event_id = $1`, [answer.eventId])).toEqual([
          { type: 'UserActivityCompiled', user_id: leaver, actor_id: 'system:audit' },
        ]),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  });
});
