import { randomUUID } from 'node:crypto';
import {
  commandAnswerStreamId,
  CommandRegistry,
  eventRegistry,
  systemActor,
  Topics,
  type CommandEnvelope,
  type CompileUserActivityCommand,
  type EventEnvelope,
  type UserActivityCompiledData,
} from '@warden/contracts';
import { EventRelay, EventStore } from '@warden/event-store';
import { type ConsumerOutcome, type EventConsumer } from '@warden/messaging';
import { createTopics, expectEventually, readTopic, testKafka, testProducer, uniqueTopicPrefix } from '@warden/testing';
import type { Producer } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { openTestTrail } from '../test/test-trail';
import { chainOf } from '../test/trail-fixtures';
import { ACTIVITY_ANSWER_CAPS, ACTIVITY_ANSWER_MAX_BYTES } from './activity-answer.util';
import { answerCompileUserActivity, createActivityCommandConsumer } from './activity-command.consumer';
import { ActivityService, type UserActivity } from './activity.service';

type Trail = Awaited<ReturnType<typeof openTestTrail>>;
type Summary = UserActivity['summary'];

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** The activity service of a trail whose reads fail (the database refusing, say). */
class FailingActivityService extends ActivityService {
  override userActivity(): Promise<UserActivity> {
    return Promise.reject(new Error('trail unavailable'));
  }
}

/**
 * `CompileUserActivity` over real Kafka and Postgres: the audit reads the user's activity from its
 * trail and answers with one `UserActivityCompiled` on the command's answer stream of its main
 * event store, relayed to its events topic.
 */
describe('CompileUserActivity (offboarding asks the audit over Kafka)', () => {
  jest.setTimeout(180_000);
  let t: Trail;
  let store: EventStore;
  let activity: ActivityService;
  let producer: Producer;
  let relay: EventRelay;
  const consumers: EventConsumer[] = [];
  const outcomes: ConsumerOutcome[] = [];
  const kafka = testKafka('audit-activity-int');
  const prefix = uniqueTopicPrefix('audit-activity');
  const commandsTopic = `${prefix}${Topics.commands('audit')}`;
  const eventsTopic = `${prefix}${Topics.events('audit')}`;

  const commandFor = (data: CompileUserActivityCommand): CommandEnvelope<CompileUserActivityCommand> => ({
    commandId: randomUUID(),
    type: 'CompileUserActivity',
    issuedAt: new Date().toISOString(),
    actor: systemActor('offboarding'),
    correlationId: `offboarding-case-${randomUUID()}`,
    data,
  });

  const send = (topic: string, values: Array<string | null>) =>
    producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'offboarding', value })) });

  /** The answers on the command's stream, once there is one. */
  const answersOf = (commandId: string) =>
    expectEventually(
      async () => {
        const events = await store.readStream(commandAnswerStreamId(commandId));
        expect(events.length).toBeGreaterThan(0);
        return events;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );

  beforeAll(async () => {
    t = await openTestTrail(Topics.events('authorization'));
    store = new EventStore({ dataSource: t.dataSource, schema: t.schema, registry: eventRegistry });
    activity = new ActivityService(t.config, t.dataSource);
    await createTopics(kafka, [commandsTopic, eventsTopic]);
    producer = testProducer(kafka);
    await producer.connect();
    relay = new EventRelay({ dataSource: t.dataSource, store, producer: testProducer(kafka), topic: eventsTopic, idleMs: 50 });
    relay.start();
    const consumer = createActivityCommandConsumer({
      kafka,
      dataSource: t.dataSource,
      schema: t.schema,
      topicPrefix: prefix,
      store,
      activity,
      initialBackoffMs: 50,
      maxAttempts: 2,
      onOutcome: (_topic, outcome) => outcomes.push(outcome),
    });
    consumers.push(consumer);
    await consumer.start();
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop().catch(() => undefined);
    await relay?.stop();
    await producer?.disconnect();
    await t?.close();
  });

  it('answers with the user’s activity: one UserActivityCompiled caused by the command, relayed to the audit’s events topic', async () => {
    const leaver = randomUUID();
    const [c1, c2] = [randomUUID(), randomUUID()];
    const login = (occurredAt: string, ip: string, deviceId: string) => ({
      type: 'LoginSucceeded',
      occurredAt,
      data: { userId: leaver, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: 'Amsterdam' } },
      actor: { userId: leaver, ip, userAgent: 'Mozilla/5.0 (X11)', deviceId },
    });
    await t.index(
      chainOf(`session-${leaver}`, [
        login(ago(120), '192.0.2.1', 'old-laptop'), // outside the 90 days
        login(ago(10), '203.0.113.5', 'laptop-1'),
        login(ago(2), '198.51.100.7', 'phone-2'),
        { type: 'LoginFailed', occurredAt: ago(1), data: { userId: leaver, usernameHash: 'a'.repeat(64), reason: 'bad_credentials' } },
      ]),
    );
    await t.index(
      chainOf(`access-${leaver}`, [
        { type: 'CustomerViewed', occurredAt: ago(5), data: { readerId: leaver, customerId: c1 }, actor: { userId: leaver } },
        { type: 'CustomerViewed', occurredAt: ago(4), data: { readerId: leaver, customerId: c1 }, actor: { userId: leaver } },
        { type: 'CustomerViewed', occurredAt: ago(3), data: { readerId: leaver, customerId: c2 }, actor: { userId: leaver } },
        { type: 'SensitiveFieldRevealed', occurredAt: ago(3), data: { readerId: leaver, customerId: c2, field: 'mobile', reason: 'call back' }, actor: { userId: leaver } },
      ]),
      Topics.access,
    );

    const command = commandFor({ userId: leaver, days: 90 });
    await send(commandsTopic, [JSON.stringify(command)]);
    const answers = await answersOf(command.commandId);

    expect(answers).toHaveLength(1);
    const [answer] = answers as Array<EventEnvelope<UserActivityCompiledData>>;
    expect(answer).toMatchObject({
      type: 'UserActivityCompiled',
      streamId: `command-${command.commandId}`,
      streamVersion: 1,
      causationId: command.commandId,
      correlationId: command.correlationId,
      actor: systemActor('audit'),
    });
    const data = answer.data;
    expect(data).toMatchObject({ commandId: command.commandId, userId: leaver, days: 90, eventCount: 7, truncated: false });
    expect(new Date(data.to).getTime() - new Date(data.from).getTime()).toBe(90 * DAY);
    expect('timeline' in data).toBe(false);

    // The summary is the activity endpoint's over the same window.
    const expected = await activity.userActivity(leaver, 90, new Date(data.to));
    expect(data.summary).toEqual(expected.summary);
    const summary = data.summary as Summary;
    expect(summary.logins).toMatchObject({ count: 2, failures: 1, distinctIps: ['198.51.100.7', '203.0.113.5'], countries: ['NL'] });
    expect(summary.logins.items.map((item) => item.deviceId)).toEqual(['laptop-1', 'phone-2']);
    expect(summary.customersViewed).toEqual({ views: 3, distinctCustomers: 2, top: [{ customerId: c1, views: 2 }, { customerId: c2, views: 1 }] });
    expect(summary.reveals.count).toBe(1);

    // Relayed to the audit's events topic, keyed by the answer stream.
    const published = await readTopic(kafka, eventsTopic, {
      until: (messages) => messages.some((m) => m.headers['event-id'] === answer.eventId),
      timeoutMs: 30_000,
    });
    const message = published.find((m) => m.headers['event-id'] === answer.eventId);
    expect(message).toMatchObject({ key: `command-${command.commandId}`, headers: { 'event-type': 'UserActivityCompiled', 'correlation-id': command.correlationId } });
    expect(JSON.parse(message?.value ?? '{}')).toMatchObject({ causationId: command.commandId, data: { commandId: command.commandId, userId: leaver } });
  });

  it('answers a command delivered twice once, and one handled again past the inbox not at all', async () => {
    const user = randomUUID();
    await t.index(chainOf(`access-${user}`, [{ type: 'CustomerViewed', occurredAt: ago(1), data: { readerId: user, customerId: randomUUID() }, actor: { userId: user } }]), Topics.access);
    const command = commandFor({ userId: user, days: 30 });
    const duplicatesBefore = outcomes.filter((o) => o === 'duplicate').length;
    await send(commandsTopic, [JSON.stringify(command), JSON.stringify(command)]);

    await answersOf(command.commandId);
    await expectEventually(() => expect(outcomes.filter((o) => o === 'duplicate').length).toBe(duplicatesBefore + 1), { timeoutMs: 30_000 });
    // A redelivery that escaped the inbox (its record lost) is refused by the answer stream.
    const decoded = new CommandRegistry(['CompileUserActivity'], 'audit').decode(command);
    const again = await t.dataSource.transaction((manager: EntityManager) => answerCompileUserActivity({ store, activity }, decoded, manager));
    expect(again).toBe(false);

    const answers = await store.readStream(commandAnswerStreamId(command.commandId));
    expect(answers.map((e) => e.type)).toEqual(['UserActivityCompiled']);
    const [{ n }]: Array<{ n: number }> = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM "${t.schema}".events WHERE stream_id = $1`,
      [commandAnswerStreamId(command.commandId)],
    );
    expect(n).toBe(1);
  });

  it('dead-letters malformed commands naming the problem, and carries on with the next (a user the trail does not know: an empty activity)', async () => {
    const valid = commandFor({ userId: `unknown-${randomUUID()}`, days: 7 });
    const badDays = { ...commandFor({ userId: 'u-1', days: 7 }), data: { userId: 'u-1', days: 0 } };
    const otherService = { ...commandFor({ userId: 'u-1', days: 7 }), type: 'FreezeUserAccess', data: { userId: 'u-1', reason: 'leaver' } };
    const noId = { ...commandFor({ userId: 'u-1', days: 7 }), commandId: 'not-a-uuid' };
    await send(commandsTopic, ['{not json', JSON.stringify(badDays), JSON.stringify(otherService), JSON.stringify(noId), JSON.stringify(valid)]);

    const [answer] = (await answersOf(valid.commandId)) as Array<EventEnvelope<UserActivityCompiledData>>;
    expect(answer.data).toMatchObject({ userId: valid.data.userId, days: 7, eventCount: 0, truncated: false });
    expect((answer.data.summary as Summary).logins).toEqual({ count: 0, failures: 0, distinctIps: [], distinctDevices: [], countries: [], items: [] });

    const letters = await readTopic(kafka, Topics.deadLetter(commandsTopic), { count: 4, timeoutMs: 30_000 });
    expect(letters).toHaveLength(4);
    expect(letters.map((l) => l.headers['dlq-error-code'])).toEqual(Array(4).fill('CONTRACT_VIOLATION'));
    expect(letters.map((l) => l.headers['dlq-error']).sort()).toEqual(
      [
        'invalid CompileUserActivity data: days: Too small: expected number to be >=1',
        'invalid command envelope: commandId: Invalid UUID',
        'message is not JSON: (root): not valid JSON',
        'unknown command: type: FreezeUserAccess is not a command of audit',
      ].sort(),
    );
    expect(letters.every((l) => l.headers['dlq-consumer-group'] === `${prefix}audit.activity-commands`)).toBe(true);
    // None of them was answered.
    for (const bad of [badDays, otherService]) expect(await store.readStream(commandAnswerStreamId(bad.commandId))).toEqual([]);
  });

  it('retries a command whose compilation fails, then dead-letters it without an answer', async () => {
    const failingPrefix = uniqueTopicPrefix('audit-activity-fail');
    const topic = `${failingPrefix}${Topics.commands('audit')}`;
    await createTopics(kafka, [topic]);
    const consumer = createActivityCommandConsumer({
      kafka,
      dataSource: t.dataSource,
      schema: t.schema,
      topicPrefix: failingPrefix,
      store,
      activity: new FailingActivityService(t.config, t.dataSource),
      initialBackoffMs: 50,
      maxAttempts: 2,
    });
    consumers.push(consumer);
    await consumer.start();
    const command = commandFor({ userId: randomUUID(), days: 90 });
    await send(topic, [JSON.stringify(command)]);

    const [letter] = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 60_000 });
    expect(letter.headers).toMatchObject({ 'dlq-error-code': 'HANDLER_FAILED', 'dlq-error': 'trail unavailable', 'dlq-attempts': '2' });
    expect(await store.readStream(commandAnswerStreamId(command.commandId))).toEqual([]);
  });

  it('caps the summary of a user with many logins: truncated, the event bounded', async () => {
    const user = randomUUID();
    const logins = 1500;
    // User agents and device ids as long as the envelope allows: about 1.8 MB of logins uncapped.
    const events = chainOf(
      `session-${user}`,
      Array.from({ length: logins }, (_, i) => ({
        type: 'LoginSucceeded',
        occurredAt: new Date(Date.now() - (logins - i) * 60_000).toISOString(),
        data: { userId: user, sessionId: randomUUID(), mfa: true, geo: { country: 'NL', city: 'Amsterdam', asn: 1136, asnOrg: 'KPN' } },
        actor: { userId: user, ip: `10.${Math.floor(i / 250)}.${i % 250}.1`, userAgent: `Mozilla/5.0 ${'x'.repeat(980)} ${i}`, deviceId: `${'d'.repeat(190)}-${i}` },
      })),
    );
    await t.indexInBatches(events, 500);
    const uncapped = await activity.userActivity(user, 2);
    expect(Buffer.byteLength(JSON.stringify(uncapped.summary))).toBeGreaterThan(1_000_000);

    const command = commandFor({ userId: user, days: 2 });
    await send(commandsTopic, [JSON.stringify(command)]);
    const [answer] = (await answersOf(command.commandId)) as Array<EventEnvelope<UserActivityCompiledData>>;
    const summary = answer.data.summary as Summary;
    expect(answer.data).toMatchObject({ truncated: true, eventCount: logins });
    expect(summary.logins.count).toBe(logins);
    expect(summary.logins.items.length).toBeGreaterThan(0);
    expect(summary.logins.items.length).toBeLessThanOrEqual(ACTIVITY_ANSWER_CAPS.logins);
    // The newest logins are the ones kept.
    expect(summary.logins.items.at(-1)?.deviceId).toBe(`${'d'.repeat(190)}-${logins - 1}`);
    expect(Buffer.byteLength(JSON.stringify(answer.data))).toBeLessThanOrEqual(ACTIVITY_ANSWER_MAX_BYTES);

    // What reached Kafka is the bounded event.
    const published = await readTopic(kafka, eventsTopic, {
      until: (messages) => messages.some((m) => m.headers['event-id'] === answer.eventId),
      timeoutMs: 30_000,
    });
    const message = published.find((m) => m.headers['event-id'] === answer.eventId);
    expect(Buffer.byteLength(message?.value ?? '')).toBeLessThan(ACTIVITY_ANSWER_MAX_BYTES + 2048);
  });
});
