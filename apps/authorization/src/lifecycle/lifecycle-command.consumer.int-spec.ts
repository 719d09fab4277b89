import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  commandAnswerStreamId,
  type EventEnvelope,
  systemActor,
  Topics,
  type CommandEnvelope,
  type FreezeUserAccessCommand,
  type MarkUserDepartingCommand,
} from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import {
  connectTestSchema,
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
import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppModule } from '../app.module';
import { loadAuthorizationConfig } from '../core/config';
import { grantStreamId } from '../grants/grant.service';
import { sessionStreamId } from '../sessions/session.service';
import { userStreamId } from '../users/user.service';
import { LIFECYCLE_COMMANDS_GROUP, LifecycleCommandConsumer } from './lifecycle-command.consumer';
import { UserLifecycleService } from './user-lifecycle.service';

type Answer = EventEnvelope;

/**
 * Offboarding's saga commands over real Kafka, Postgres and Redis: the authorization app (its
 * modules, relay and command consumer, without HTTP) in this process, commands produced on its
 * commands topic, answers read from the event store and the events topic.
 */
describe('lifecycle commands (FreezeUserAccess, MarkUserDeparting over Kafka)', () => {
  jest.setTimeout(180_000);
  const env = testEnv();
  const prefix = uniqueTopicPrefix('authz-lifecycle');
  const schema = uniqueName('t_authz_lifecycle');
  const topic = `${prefix}${Topics.commands('authorization')}`;
  const kafka = testKafka('authz-lifecycle-int');
  const offboarding = systemActor('offboarding');
  let app: INestApplicationContext;
  let store: EventStore;
  let dataSource: DataSource;
  let producer: Producer;
  let s = '';

  const seedMetadata = (): CommandMetadata => ({ actor: systemActor('seed'), correlationId: `seed-${uuidv7()}`, now: new Date() });

  /** An active user with one session and one active grant. */
  const seedUser = async (): Promise<{ userId: string; sessionId: string; grantId: string }> => {
    const userId = uuidv7();
    const sessionId = uuidv7();
    const grantId = uuidv7();
    await store.append(
      userStreamId(userId),
      [
        {
          type: 'UserCreated',
          data: { userId, username: `u-${userId}`, displayName: 'U', email: 'u***@example.com', roles: ['staff'], teamId: null, managerId: null, clearance: 'internal', status: 'active' },
        },
      ],
      { expectedVersion: 0, metadata: seedMetadata() },
    );
    await store.append(sessionStreamId(sessionId), [{ type: 'LoginSucceeded', data: { userId, sessionId, mfa: false, geo: null } }], {
      expectedVersion: 0,
      metadata: seedMetadata(),
    });
    await store.append(
      grantStreamId(grantId),
      [
        { type: 'GrantRequested', data: { grantId, userId, permissions: [{ action: 'reveal', subject: 'Customer' }], reason: 'r', expiresAt: '2099-01-01T00:00:00.000Z', requestedBy: userId } },
        { type: 'GrantApproved', data: { grantId, userId, by: uuidv7(), comment: null } },
      ],
      { expectedVersion: 0, metadata: seedMetadata() },
    );
    return { userId, sessionId, grantId };
  };

  const command = <T extends FreezeUserAccessCommand | MarkUserDepartingCommand>(
    type: 'FreezeUserAccess' | 'MarkUserDeparting',
    data: T,
    correlationId = `case-${randomUUID()}`,
  ): CommandEnvelope<T> => ({ commandId: randomUUID(), type, issuedAt: new Date().toISOString(), actor: offboarding, correlationId, data });

  const send = async (key: string, ...values: Array<string | object>): Promise<void> => {
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    });
  };

  /** The answer stream of a command, once it holds the answer. */
  const answerOf = (commandId: string): Promise<Answer[]> =>
    expectEventually(
      async () => {
        const events = await store.readStream(commandAnswerStreamId(commandId));
        expect(events.length).toBeGreaterThan(0);
        return events;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );

  const countEvents = async (type: string, where: { streamId?: string; commandId?: string }): Promise<number> => {
    const [{ n }]: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM ${s}.events WHERE type = $1 AND ($2::text IS NULL OR stream_id = $2) AND ($3::text IS NULL OR data->>'commandId' = $3)`,
      [type, where.streamId ?? null, where.commandId ?? null],
    );
    return n;
  };

  beforeAll(async () => {
    const config = loadAuthorizationConfig({
      NODE_ENV: 'test',
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      AUTHORIZATION_DB_SCHEMA: schema,
      WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'warn',
    });
    await createTopics(kafka, [topic]);
    app = await NestFactory.createApplicationContext(AppModule.forConfig(config), { logger: ['error'] });
    store = app.get(EventStore);
    dataSource = app.get(DataSource);
    s = quoteSchema(schema);
    producer = testProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    const cleanup = await connectTestSchema(schema, 'authz-lifecycle-cleanup');
    await dropTestSchema(cleanup, schema);
  });

  describe('FreezeUserAccess', () => {
    it('freezes the user, revokes the session and the grant, and answers once with the counts', async () => {
      const { userId, sessionId, grantId } = await seedUser();
      const freeze = command('FreezeUserAccess', { userId, reason: 'offboarding:case-1' }, 'case-1');
      await send(userId, freeze);

      const [answer, ...more] = await answerOf(freeze.commandId);
      expect(more).toEqual([]);
      expect(answer.type).toBe('CommandCompleted');
      expect(answer.data).toEqual({
        commandId: freeze.commandId,
        command: 'FreezeUserAccess',
        outcome: { sessionsRevoked: 1, grantsRevoked: 1, alreadyFrozen: false },
      });
      expect(answer.causationId).toBe(freeze.commandId);
      expect(answer.correlationId).toBe('case-1');
      expect(answer.actor.userId).toBe('system:authorization');

      const [user]: Array<{ status: string }> = await dataSource.query(`SELECT status FROM ${s}.users WHERE id = $1`, [userId]);
      expect(user.status).toBe('offboarded');
      const [session]: Array<{ status: string }> = await dataSource.query(`SELECT status FROM ${s}.sessions WHERE id = $1`, [sessionId]);
      expect(session.status).toBe('revoked');
      const [grant]: Array<{ status: string }> = await dataSource.query(`SELECT status FROM ${s}.grants WHERE id = $1`, [grantId]);
      expect(grant.status).toBe('revoked');
      // The domain event: done by offboarding (the command's actor), caused by the command.
      const frozen = (await store.readStream(userStreamId(userId))).filter((event) => event.type === 'UserFrozen');
      expect(frozen).toHaveLength(1);
      expect(frozen[0].actor.userId).toBe('system:offboarding');
      expect(frozen[0].causationId).toBe(freeze.commandId);
      expect(frozen[0].correlationId).toBe('case-1');

      // The relay publishes the answer on the events topic, keyed by its stream.
      const published = await readTopic(kafka, `${prefix}${Topics.events('authorization')}`, {
        until: (messages) => messages.some((m) => m.key === commandAnswerStreamId(freeze.commandId)),
        timeoutMs: 60_000,
      });
      const message = published.find((m) => m.key === commandAnswerStreamId(freeze.commandId));
      expect(message).toBeDefined();
      expect(JSON.parse(message?.value ?? '{}')).toMatchObject({ type: 'CommandCompleted', causationId: freeze.commandId, correlationId: 'case-1' });
    });

    it('answers a redelivered command once, and a new command for a frozen user with the first counts', async () => {
      const { userId } = await seedUser();
      const freeze = command('FreezeUserAccess', { userId, reason: 'offboarding:case-2' });
      await send(userId, freeze, freeze);
      const again = command('FreezeUserAccess', { userId, reason: 'offboarding:case-2 retried' }, freeze.correlationId);
      await send(userId, again);

      // Same key, same partition: once the later command is answered, both copies of the first were consumed.
      const [second] = await answerOf(again.commandId);
      expect(second.data).toEqual({ commandId: again.commandId, command: 'FreezeUserAccess', outcome: { sessionsRevoked: 1, grantsRevoked: 1, alreadyFrozen: true } });
      expect(second.causationId).toBe(again.commandId);
      expect(await store.readStream(commandAnswerStreamId(freeze.commandId))).toHaveLength(1);
      expect(await countEvents('CommandCompleted', { commandId: freeze.commandId })).toBe(1);
      expect(await countEvents('UserFrozen', { streamId: userStreamId(userId) })).toBe(1);
      const [{ n }]: Array<{ n: number }> = await dataSource.query(
        `SELECT count(*)::int AS n FROM ${s}.processed_messages WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
        [`${prefix}${LIFECYCLE_COMMANDS_GROUP}`, [freeze.commandId, again.commandId]],
      );
      expect(n).toBe(2);
    });

    it('answers alreadyFrozen with the counts of a freeze done by another path (the service behind HTTP)', async () => {
      const { userId } = await seedUser();
      const first = await app.get(UserLifecycleService).freeze(userId, 'by hand', { actor: systemActor('test'), correlationId: 'by-hand', now: new Date() });
      expect(first).toEqual({ sessionsRevoked: 1, grantsRevoked: 1, alreadyFrozen: false });
      const freeze = command('FreezeUserAccess', { userId, reason: 'offboarding:case-3' });
      await send(userId, freeze);
      const [answer] = await answerOf(freeze.commandId);
      expect(answer.data).toMatchObject({ outcome: { sessionsRevoked: 1, grantsRevoked: 1, alreadyFrozen: true } });
    });

    it('answers a command retried after its answer was lost (its freeze committed) as the first freeze', async () => {
      const { userId } = await seedUser();
      const freeze = command('FreezeUserAccess', { userId, reason: 'offboarding:case-6' });
      const decoded: EventEnvelope = {
        ...(await store.readStream(userStreamId(userId)))[0],
        eventId: freeze.commandId,
        type: freeze.type,
        actor: freeze.actor,
        correlationId: freeze.correlationId,
        causationId: null,
        data: freeze.data,
      };
      const consumer = app.get(LifecycleCommandConsumer);
      // The inbox transaction fails after the freeze committed: no answer, the user frozen.
      await expect(
        dataSource.transaction(async (manager) => {
          await consumer.handle(decoded, manager);
          throw new Error('simulated crash before the inbox commit');
        }),
      ).rejects.toThrow('simulated crash');
      expect(await store.readStream(commandAnswerStreamId(freeze.commandId))).toEqual([]);
      expect(await countEvents('UserFrozen', { streamId: userStreamId(userId) })).toBe(1);

      await dataSource.transaction((manager) => consumer.handle(decoded, manager));
      const [answer] = await store.readStream(commandAnswerStreamId(freeze.commandId));
      expect(answer.data).toEqual({ commandId: freeze.commandId, command: 'FreezeUserAccess', outcome: { sessionsRevoked: 1, grantsRevoked: 1, alreadyFrozen: false } });
    });

    it('rejects an unknown user, not retryable', async () => {
      const unknown = command('FreezeUserAccess', { userId: uuidv7(), reason: 'offboarding:case-4' }, 'case-4');
      const notAnId = command('FreezeUserAccess', { userId: 'nobody', reason: 'offboarding:case-4' }, 'case-4');
      await send('case-4', unknown, notAnId);
      for (const sent of [unknown, notAnId]) {
        const [answer, ...more] = await answerOf(sent.commandId);
        expect(more).toEqual([]);
        expect(answer.type).toBe('CommandRejected');
        expect(answer.data).toEqual({
          commandId: sent.commandId,
          command: 'FreezeUserAccess',
          code: 'USER_NOT_FOUND',
          message: expect.stringContaining(sent.data.userId),
          retryable: false,
        });
        expect(answer.causationId).toBe(sent.commandId);
        expect(answer.correlationId).toBe('case-4');
      }
    });
  });

  describe('MarkUserDeparting', () => {
    it('marks the user departing and answers with the departure, again for a repeat with a new command id', async () => {
      const { userId } = await seedUser();
      const mark = command('MarkUserDeparting', { userId, effectiveAt: '2031-03-31T17:00:00+02:00' });
      await send(userId, mark);
      const [answer] = await answerOf(mark.commandId);
      const outcome = { status: 'departing', departingEffectiveAt: '2031-03-31T15:00:00.000Z' };
      expect(answer.data).toEqual({ commandId: mark.commandId, command: 'MarkUserDeparting', outcome });
      expect(answer.causationId).toBe(mark.commandId);
      const [user]: Array<{ status: string }> = await dataSource.query(`SELECT status FROM ${s}.users WHERE id = $1`, [userId]);
      expect(user.status).toBe('departing');

      const repeat = command('MarkUserDeparting', { userId, effectiveAt: '2031-03-31T15:00:00Z' }, mark.correlationId);
      await send(userId, repeat);
      const [second] = await answerOf(repeat.commandId);
      expect(second.data).toEqual({ commandId: repeat.commandId, command: 'MarkUserDeparting', outcome });
      expect(await countEvents('UserMarkedDeparting', { streamId: userStreamId(userId) })).toBe(1);
    });

    it('rejects an offboarded user, not retryable', async () => {
      const { userId } = await seedUser();
      const freeze = command('FreezeUserAccess', { userId, reason: 'offboarding:case-5' });
      const mark = command('MarkUserDeparting', { userId, effectiveAt: '2031-03-31T15:00:00Z' });
      await send(userId, freeze, mark);
      const [answer] = await answerOf(mark.commandId);
      expect(answer.type).toBe('CommandRejected');
      expect(answer.data).toMatchObject({ commandId: mark.commandId, command: 'MarkUserDeparting', code: 'USER_OFFBOARDED', retryable: false });
    });
  });

  describe('when a message is not a valid command', () => {
    it('dead-letters it and carries on with the next command', async () => {
      const { userId } = await seedUser();
      const envelope = command('FreezeUserAccess', { userId, reason: 'x' });
      const malformed = [
        'not json {',
        { ...envelope, commandId: randomUUID(), type: 'TransferCustomers' },
        { ...envelope, commandId: randomUUID(), data: { userId } },
      ];
      const good = command('MarkUserDeparting', { userId, effectiveAt: '2031-06-30T15:00:00Z' });
      await send(userId, ...malformed, good);

      const [answer] = await answerOf(good.commandId);
      expect(answer.data).toMatchObject({ command: 'MarkUserDeparting', outcome: { status: 'departing' } });
      const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 3, timeoutMs: 60_000 });
      expect(dead).toHaveLength(3);
      expect(dead.map((m) => m.headers['dlq-error-code'])).toEqual(['CONTRACT_VIOLATION', 'CONTRACT_VIOLATION', 'CONTRACT_VIOLATION']);
      const reasons = dead.map((m) => m.headers['dlq-error']);
      expect(reasons[0]).toMatch(/^message is not JSON/);
      expect(reasons[1]).toMatch(/^unknown command: type: TransferCustomers is not a command of authorization/);
      expect(reasons[2]).toMatch(/^invalid FreezeUserAccess data: reason/);
      // Nothing was done for them: the user was never frozen.
      expect(await countEvents('UserFrozen', { streamId: userStreamId(userId) })).toBe(0);
    });
  });
});
