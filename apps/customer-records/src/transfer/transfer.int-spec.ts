import { randomBytes, randomUUID } from 'node:crypto';
import {
  CommandRegistry,
  eventRegistry,
  systemActor,
  Topics,
  transferStreamId,
  verifyStreamChain,
  type CommandEnvelope,
  type TransferCustomersCommand,
} from '@warden/contracts';
import { BlindIndexer, FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { EventConsumer } from '@warden/messaging';
import {
  createTestSchema,
  createTopics,
  dropTestSchema,
  expectEventually,
  readTopic,
  testKafka,
  testProducer,
  uniqueName,
  uniqueTopicPrefix,
} from '@warden/testing';
import type { Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { dataKeyStoreMigrations, PostgresDataKeyStore } from '../crypto/postgres-data-key-store';
import { customerStreamId, CustomerService } from '../customer/customer.service';
import { customerReadModelMigrations, customerReadModelProjection } from '../customer/projections/customer-read-model.projection';

import { CustomerTransferProcessor } from './transfer.processor';
import { customerTransfersMigrations, customerTransfersProjection } from './transfer.projection';

const LEAVER = 'user-leaver';
const POOL = ['user-pool-a', 'user-pool-b', 'user-pool-c'];
const CUSTOMERS = 2000;
const token = `v1.${'A'.repeat(16)}.${'B'.repeat(40)}`;

/**
 * The `TransferCustomers` command over real Kafka and Postgres: 2,000 customers of a leaver go to a
 * pool in batches of 500. The command is delivered twice and re-issued with a new id; the first
 * processor crashes in its third batch (the batch rolls back) and a second one resumes. Every
 * customer changes hands exactly once, the progress and the summary are recorded once.
 */
describe('ownership transfer (TransferCustomers over Kafka)', () => {
  jest.setTimeout(240_000);
  let dataSource: DataSource;
  let schema = '';
  let s = '';
  let store: EventStore;
  let customers: CustomerService;
  let producer: Producer;
  const processors: CustomerTransferProcessor[] = [];
  const consumers: EventConsumer[] = [];
  const kafka = testKafka('transfer-int');
  const topic = `${uniqueTopicPrefix('transfer-int')}${Topics.commands('customer-records')}`;

  const seed = async (ownerId: string, count: number, erase = false): Promise<string[]> => {
    const ids = Array.from({ length: count }, () => uuidv7());
    const metadata: CommandMetadata = { actor: systemActor('seed'), correlationId: 'seed', now: new Date() };
    for (let i = 0; i < ids.length; i += 20) {
      await Promise.all(
        ids.slice(i, i + 20).map(async (customerId) => {
          const registered = { type: 'CustomerRegistered', data: { customerId, tags: [], classification: 'internal', ownerId, teamId: null, sensitive: { name: { ciphertext: token } } } };
          const events = erase
            ? [registered, { type: 'CustomerErased', data: { customerId, legalBasis: 'subject-request', reason: 'seed' } }]
            : [registered];
          await store.append(customerStreamId(customerId), events, { expectedVersion: 0, metadata });
        }),
      );
    }
    return ids;
  };

  const startConsumer = async (processor: CustomerTransferProcessor) => {
    const consumer = new EventConsumer({
      kafka,
      groupId: `transfer-int-${schema}`,
      topics: [topic],
      dataSource,
      schema,
      registry: new CommandRegistry(['TransferCustomers'], 'customer-records'),
      initialBackoffMs: 50,
      handle: async (event, { manager }) => {
        await processor.request(
          { commandId: event.eventId, type: event.type, issuedAt: event.occurredAt, actor: event.actor, correlationId: event.correlationId, data: event.data as TransferCustomersCommand },
          manager,
        );
        setTimeout(() => processor.kick(), 50);
      },
    });
    consumers.push(consumer);
    await consumer.start();
  };

  const send = (command: CommandEnvelope<TransferCustomersCommand>) =>
    producer.send({ topic, acks: -1, messages: [{ key: command.data.transferId, value: JSON.stringify(command) }] });

  beforeAll(async () => {
    schema = uniqueName('t_transfer');
    ({ dataSource } = await createTestSchema(
      'transfer',
      [...customerReadModelMigrations(schema), ...dataKeyStoreMigrations(schema), ...customerTransfersMigrations(schema)],
      schema,
    ));
    s = quoteSchema(schema);
    store = new EventStore({ dataSource, schema, registry: eventRegistry, projections: [customerReadModelProjection(schema), customerTransfersProjection(schema)] });
    const cipher = new FieldCipher(StaticKeyProvider.fromKeyring(`1:${randomBytes(32).toString('base64')}`), new PostgresDataKeyStore(dataSource, schema));
    customers = new CustomerService(store, dataSource, cipher, BlindIndexer.fromBase64(randomBytes(32).toString('base64')));
    await createTopics(kafka, [topic]);
    producer = testProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    for (const processor of processors) await processor.stop();
    for (const consumer of consumers) await consumer.stop().catch(() => undefined);
    await producer?.disconnect();
    await dropTestSchema(dataSource, schema);
  });

  it('transfers every customer exactly once across redelivery, a re-issued command and a crash mid-way', async () => {
    const leavers = await seed(LEAVER, CUSTOMERS);
    const others = await seed('user-stays', 15);
    const erasedIds = await seed(LEAVER, 2, true);

    // The first processor crashes inside its third batch, before commit, and keeps crashing until stopped.
    let batches = 0;
    const first = new CustomerTransferProcessor(dataSource, store, customers, {
      pollMs: 100,
      beforeCommit: async () => {
        batches += 1;
        if (batches >= 3) throw new Error('simulated crash');
      },
    });
    processors.push(first);
    first.start();
    await startConsumer(first);

    const transferId = randomUUID();
    const command: CommandEnvelope<TransferCustomersCommand> = {
      commandId: randomUUID(),
      type: 'TransferCustomers',
      issuedAt: new Date().toISOString(),
      actor: systemActor('offboarding'),
      correlationId: 'case-42',
      data: { transferId, fromUserId: LEAVER, toUserId: null, toPoolUserIds: POOL, reason: 'offboarding:case-42' },
    };
    await send(command);
    await send(command); // redelivered
    await send({ ...command, commandId: randomUUID() }); // re-issued after a restart of the sender

    await expectEventually(async () => expect(batches).toBeGreaterThanOrEqual(3), { timeoutMs: 120_000, intervalMs: 200 });
    await first.stop();
    const [{ done: doneAtCrash }]: Array<{ done: number }> = await dataSource.query(
      `SELECT done FROM ${s}.customer_transfers WHERE transfer_id = $1`,
      [transferId],
    );
    expect(doneAtCrash).toBe(1000);

    const second = new CustomerTransferProcessor(dataSource, store, customers, { pollMs: 100 });
    processors.push(second);
    second.start();
    await expectEventually(
      async () => {
        const rows: Array<{ status: string }> = await dataSource.query(`SELECT status FROM ${s}.customer_transfers WHERE transfer_id = $1`, [transferId]);
        expect(rows[0]?.status).toBe('completed');
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );

    // Exactly one CustomerOwnerChanged per customer of the leaver, caused by the first command.
    const changes: Array<{ stream_id: string; n: number; causes: string[] }> = await dataSource.query(
      `SELECT stream_id, count(*)::int AS n, array_agg(DISTINCT causation_id) AS causes FROM ${s}.events
       WHERE type = 'CustomerOwnerChanged' GROUP BY stream_id`,
    );
    expect(changes).toHaveLength(CUSTOMERS);
    expect(changes.every((row) => row.n === 1)).toBe(true);
    expect(new Set(changes.flatMap((row) => row.causes))).toEqual(new Set([command.commandId]));
    expect(new Set(changes.map((row) => row.stream_id))).toEqual(new Set(leavers.map(customerStreamId)));

    // Round robin over the pool; nobody else's and no erased customer moved.
    const owners: Array<{ owner_id: string; n: number }> = await dataSource.query(
      `SELECT owner_id, count(*)::int AS n FROM ${s}.customers WHERE id = ANY($1) GROUP BY owner_id ORDER BY owner_id`,
      [leavers],
    );
    expect(owners).toEqual([
      { owner_id: POOL[0], n: 667 },
      { owner_id: POOL[1], n: 667 },
      { owner_id: POOL[2], n: 666 },
    ]);
    const untouched: Array<{ owner_id: string }> = await dataSource.query(`SELECT owner_id FROM ${s}.customers WHERE id = ANY($1)`, [
      [...others, ...erasedIds],
    ]);
    expect(untouched.map((row) => row.owner_id).sort()).toEqual([...Array(2).fill(LEAVER), ...Array(15).fill('user-stays')]);

    // One request, four progress events, one summary, all caused by the first command.
    const trail = await store.readStream(transferStreamId(transferId));
    expect(trail.map((event) => event.type)).toEqual([
      'CustomersTransferRequested',
      ...Array(4).fill('CustomersTransferProgressed'),
      'CustomersTransferred',
    ]);
    expect(trail.slice(1, 5).map((event) => event.data)).toEqual(
      [500, 1000, 1500, 2000].map((done) => ({ transferId, done, total: CUSTOMERS })),
    );
    expect(trail[5].data).toEqual({ transferId, fromUserId: LEAVER, toUserId: null, toPoolUserIds: POOL, count: CUSTOMERS });
    expect(new Set(trail.map((event) => event.causationId))).toEqual(new Set([command.commandId]));
    expect(new Set(trail.map((event) => event.correlationId))).toEqual(new Set(['case-42']));

    // Both distinct command ids went through the inbox once each.
    const inbox: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM ${s}.processed_messages WHERE consumer = $1`,
      [`transfer-int-${schema}`],
    );
    expect(inbox[0].n).toBe(2);
  });

  it('does a batch again one customer at a time when one of its customers is written meanwhile, keeping that write', async () => {
    const leaver = 'user-leaver-raced';
    const ids = await seed(leaver, 5);
    const processor = new CustomerTransferProcessor(dataSource, store, customers);
    const transferId = randomUUID();
    await dataSource.transaction((manager) =>
      processor.request(
        {
          commandId: randomUUID(),
          type: 'TransferCustomers',
          issuedAt: new Date().toISOString(),
          actor: systemActor('offboarding'),
          correlationId: 'case-race',
          data: { transferId, fromUserId: leaver, toUserId: 'user-successor', toPoolUserIds: null, reason: 'offboarding:case-race' },
        },
        manager,
      ),
    );
    // Another writer shares one of the customers and commits only after the batch has read them.
    const raced = ids[2];
    const other = dataSource.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    try {
      const metadata: CommandMetadata = { actor: systemActor('race'), correlationId: 'race', now: new Date() };
      await store.append(customerStreamId(raced), [{ type: 'CustomerShared', data: { customerId: raced, userId: 'partner-1', reason: 'joint account' } }], {
        expectedVersion: 1,
        metadata,
        manager: other.manager,
      });
      const batch = processor.runBatch(transferId);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await other.commitTransaction();
      expect(await batch).toBe('done');
    } finally {
      await other.release();
    }
    const stream = await store.readStream(customerStreamId(raced));
    expect(stream.map((event) => event.type)).toEqual(['CustomerRegistered', 'CustomerShared', 'CustomerOwnerChanged']);
    expect(verifyStreamChain(stream)).toBeNull();
    const rows: Array<{ id: string; owner_id: string; version: number }> = await dataSource.query(
      `SELECT id, owner_id, version FROM ${s}.customers WHERE id = ANY($1)`,
      [ids],
    );
    expect(rows.map((row) => row.owner_id)).toEqual(Array(5).fill('user-successor'));
    expect(rows.find((row) => row.id === raced)?.version).toBe(3);
    const changes: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM ${s}.events WHERE type = 'CustomerOwnerChanged' AND stream_id = ANY($1)`,
      [ids.map(customerStreamId)],
    );
    expect(changes[0].n).toBe(5);
  });

  it('dead-letters a command that is not a valid TransferCustomers', async () => {
    const before: Array<{ n: number }> = await dataSource.query(`SELECT count(*)::int AS n FROM ${s}.customer_transfers`);
    await producer.send({ topic, messages: [{ key: 'x', value: JSON.stringify({ commandId: randomUUID(), type: 'TransferCustomers', data: {} }) }] });
    const dead = await readTopic(kafka, Topics.deadLetter(topic), { count: 1, timeoutMs: 60_000 });
    expect(dead[0].headers['dlq-error-code']).toBe('CONTRACT_VIOLATION');
    const after: Array<{ n: number }> = await dataSource.query(`SELECT count(*)::int AS n FROM ${s}.customer_transfers`);
    expect(after[0].n).toBe(before[0].n);
  });
});
