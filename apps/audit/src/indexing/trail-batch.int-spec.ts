import { EventRegistry, Topics, type EventEnvelope } from '@warden/contracts';
import { ensureTopics } from '@warden/messaging';
import { expectEventually, readTopic, testKafka, testProducer, uniqueName, uniqueTopicPrefix } from '@warden/testing';
import type { EntityManager } from 'typeorm';
import { openTestTrail } from '../test/test-trail';
import { TrailVerifier } from '../verification/trail-verifier';
import { chainOf } from '../test/trail-fixtures';
import { TrailBatchConsumer } from './trail-batch-consumer';
import { TrailIndexer, type IndexOutcome, type TrailItem } from './trail-indexer';

const TOPIC = Topics.access;

/** The indexer as the consumer uses it, remembering the size of each batch (one transaction each). */
class RecordingIndexer extends TrailIndexer {
  readonly batches: number[] = [];

  override indexBatch(manager: EntityManager, items: readonly TrailItem[]): Promise<IndexOutcome[]> {
    this.batches.push(items.length);
    return super.indexBatch(manager, items);
  }
}

type Trail = Awaited<ReturnType<typeof openTestTrail>>;

const count = async (t: Trail, sql: string): Promise<number> => Number((await t.dataSource.query(sql.replaceAll('$S', `"${t.schema}"`)))[0].n);

describe('indexing in batches', () => {
  let t: Trail;
  beforeEach(async () => {
    t = await openTestTrail(TOPIC);
  });
  afterEach(async () => {
    await t.close();
  });

  it('builds the same trail, tree and stream heads in batches of any size as one event at a time', async () => {
    const streams = Array.from({ length: 7 }, (_, s) => chainOf(`stream-${s}`, Array.from({ length: 40 }, (_, i) => ({ type: 'CustomerViewed', data: { i } }))));
    // Interleaved, with repeats (redeliveries) sprinkled in.
    const events = streams[0].flatMap((_, i) => streams.map((s) => s[i]));
    const withRepeats = events.flatMap((e, i) => (i % 37 === 5 ? [e, events[i - 3]] : [e]));
    const other = await openTestTrail(TOPIC);
    try {
      await other.index(withRepeats);
      const outcomes = await t.indexInBatches(withRepeats, 53);
      expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(events.length);
      const dump = (x: Trail) =>
        Promise.all([
          x.dataSource.query(`SELECT level, idx, encode(hash, 'hex') AS hash FROM "${x.schema}".merkle_nodes ORDER BY level, idx`),
          x.dataSource.query(`SELECT position, event_id, hash FROM "${x.schema}".trail ORDER BY position`),
          x.dataSource.query(`SELECT topic, stream_id, stream_version, last_hash FROM "${x.schema}".stream_heads ORDER BY stream_id`),
        ]);
      expect(await dump(t)).toEqual(await dump(other));
      expect(await count(t, `SELECT count(*) AS n FROM $S.chain_breaks`)).toBe(0);
      await t.checkpoints.checkpointIfGrown();
      expect(await t.verifier.verify()).toMatchObject({ ok: true, eventsChecked: events.length, treeSize: events.length });

      // The same verification with the events rehashed on worker threads finds the same: nothing, then the altered event.
      const parallel = new TrailVerifier({ dataSource: t.dataSource, schema: t.schema, trustedPublicKey: t.checkpoints.signer.publicKeyBase64, batchSize: 50, workers: 1, parallelFrom: 1 });
      expect(await parallel.verify()).toMatchObject({ ok: true, eventsChecked: events.length });
      const target = events[123];
      await t.tamper(`UPDATE $S.trail SET envelope = jsonb_set(envelope, '{data,i}', '"x"') WHERE event_id = $1`, [target.eventId]);
      const found = await parallel.verify();
      expect(found.problems.filter((p) => p.eventId === target.eventId)).toEqual([expect.objectContaining({ kind: 'altered', position: 123 })]);
      expect(await t.verifier.verify()).toMatchObject({ problems: found.problems });
    } finally {
      await other.close();
    }
  });

  describe('through Kafka, a batch with a duplicate, a malformed message and a broken chain link', () => {
    const kafka = testKafka('audit-batch-int');
    const prefix = uniqueTopicPrefix('int-audit-batch');
    const topic = `${prefix}${TOPIC}`;
    const [a1, a2, a3] = chainOf('access-a', [1, 2, 3].map((i) => ({ type: 'CustomerViewed', data: { i } })));
    const [b1, b2, b3] = chainOf('access-b', [1, 2, 3].map((i) => ({ type: 'CustomerViewed', data: { i } })));
    const [c1, c2] = chainOf('access-c', [1, 2].map((i) => ({ type: 'CustomerViewed', data: { i } })));
    void b2; // never sent: b3 arrives after b1, a removed event
    const malformed = '{"not":"an envelope"}';
    // c1 was indexed by an earlier batch; a2 comes twice in this one.
    const sent: Array<EventEnvelope | string> = [a1, a2, b1, a2, malformed, b3, c1, c2, a3];

    const consume = async (groupId: string) => {
      const indexer = new RecordingIndexer({ schema: t.schema, outbox: t.outbox });
      const consumer = new TrailBatchConsumer({
        kafka,
        groupId,
        topics: [topic],
        topicPrefix: prefix,
        dataSource: t.dataSource,
        indexer,
        registry: new EventRegistry(),
        decode: { allowUnknownTypes: true },
      });
      await consumer.start();
      const admin = kafka.admin();
      await admin.connect();
      try {
        await expectEventually(
          async () => {
            const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
            expect(offsets.partitions).toEqual([{ partition: 0, offset: String(sent.length), metadata: null }]);
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        );
      } finally {
        await admin.disconnect();
        await consumer.stop();
      }
      return indexer.batches;
    };

    it('indexes each valid event once in one transaction, dead-letters the malformed one, raises the break, and commits the offset after', async () => {
      const admin = kafka.admin();
      await admin.connect();
      await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
      await admin.disconnect();
      await t.index([c1]);
      const producer = testProducer(kafka);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: sent.map((e) => ({ key: 'k', value: typeof e === 'string' ? e : JSON.stringify(e) })) });
      await producer.disconnect();

      // Eight valid messages, one batch, one transaction.
      expect(await consume(uniqueName('audit-batch'))).toEqual([8]);
      const rows: Array<{ position: string; event_id: string }> = await t.dataSource.query(`SELECT position, event_id FROM "${t.schema}".trail ORDER BY position`);
      expect(rows.map((r) => [Number(r.position), r.event_id])).toEqual([c1, a1, a2, b1, b3, c2, a3].map((e, i) => [i, e.eventId]));
      expect(await count(t, `SELECT count(*) AS n FROM $S.trail_ids`)).toBe(7);
      expect(await count(t, `SELECT count(*) AS n FROM $S.merkle_nodes WHERE level = 0`)).toBe(7);

      const breaks: Array<{ event_id: string; position: string; reason: string }> = await t.dataSource.query(
        `SELECT event_id, position, reason FROM "${t.schema}".chain_breaks`,
      );
      expect(breaks).toEqual([{ event_id: b3.eventId, position: '4', reason: expect.stringMatching(/^removed: expected stream version 2, found 3/) }]);
      const alerts: Array<{ data: { rule: string; severity: string; evidence: string[] } }> = await t.dataSource.query(`SELECT data FROM "${t.outboxSchema}".events`);
      expect(alerts.map((a) => a.data)).toEqual([expect.objectContaining({ rule: 'audit-chain-broken', severity: 'critical', evidence: [b3.eventId] })]);

      const dlq = await readTopic(kafka, Topics.deadLetter(topic), { count: 1 });
      expect(dlq).toEqual([expect.objectContaining({ value: malformed })]);
      expect(dlq[0].headers).toMatchObject({ 'dlq-error-code': 'CONTRACT_VIOLATION', 'dlq-original-offset': '4' });

      // The tree is consistent: the only problem verification finds is the link that was broken on arrival.
      await t.checkpoints.checkpointIfGrown();
      const result = await t.verifier.verify();
      expect(result.problems).toEqual([expect.objectContaining({ kind: 'removed', eventId: b3.eventId, position: 4 })]);
      expect(result.lastCheckpoint).toMatchObject({ treeSize: 7, signatureValid: true, rootMatches: true });

      // The same batch redelivered (another group reads from the start): nothing changes.
      expect(await consume(uniqueName('audit-batch-again'))).toEqual([8]);
      expect(await count(t, `SELECT count(*) AS n FROM $S.trail`)).toBe(7);
      expect(await count(t, `SELECT count(*) AS n FROM $S.merkle_nodes WHERE level = 0`)).toBe(7);
      expect(await count(t, `SELECT count(*) AS n FROM $S.chain_breaks`)).toBe(1);
    }, 120_000);
  });
});
