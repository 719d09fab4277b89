import { randomBytes } from 'node:crypto';
import { Topics, type EventEnvelope } from '@warden/contracts';
import {
  connectTestSchema,
  createTopics,
  dropTestSchema,
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
import type { DataSource } from 'typeorm';
import { chainOf } from '../test/trail-fixtures';
import type { VerificationResult } from '../verification/trail-verifier';

const STREAMS = 100;
const PER_STREAM = 120;
const TOTAL = STREAMS * PER_STREAM;

/**
 * The running app killed (SIGKILL) while it indexes a backlog in batches, then restarted: every
 * event ends up in the trail exactly once, at contiguous positions, with one Merkle leaf each, and
 * the tree agrees with the checkpoints signed before and after the crash.
 */
describe('audit indexing survives a crash mid-batch', () => {
  const kafka = testKafka('audit-crash-e2e');
  const prefix = uniqueTopicPrefix('e2e-audit-crash');
  const schema = uniqueName('e2e_audit_crash');
  const signingKey = randomBytes(32).toString('base64');
  let issuer: TestTokenIssuer;
  let app: LaunchedApp | undefined;
  let db: DataSource;

  const launch = async () => {
    const port = await freePort();
    const env = testEnv();
    return launchApp('audit', {
      port,
      env: {
        AUDIT_PORT: String(port),
        AUDIT_DB_SCHEMA: schema,
        AUDIT_SIGNING_KEY: signingKey,
        AUDIT_CHECKPOINT_INTERVAL_MS: '300',
        AUDIT_INDEX_BATCH_SIZE: '250',
        KAFKA_TOPIC_PREFIX: prefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        AUTH_JWKS_URL: issuer.jwksUrl,
      },
      readyTimeoutMs: 90_000,
    });
  };
  const indexed = async (): Promise<number> => Number((await db.query(`SELECT count(*) AS n FROM "${schema}".trail_ids`))[0].n);

  beforeAll(async () => {
    issuer = await TestTokenIssuer.start();
    const topics = [Topics.access, Topics.events('customer-records')].map((t) => `${prefix}${t}`);
    await createTopics(kafka, topics);
    const producer = testProducer(kafka);
    await producer.connect();
    try {
      const streams = Array.from({ length: STREAMS }, (_, s) =>
        chainOf(`crash-${s}`, Array.from({ length: PER_STREAM }, (_, i) => ({ type: 'CustomerViewed', data: { i } }))),
      );
      const all = streams[0].flatMap((_, i) => streams.map((stream) => stream[i]));
      for (let i = 0; i < all.length; i += 1000) {
        await producer.send({
          topic: topics[0],
          acks: -1,
          messages: all.slice(i, i + 1000).map((e: EventEnvelope) => ({ key: e.streamId, value: JSON.stringify(e) })),
        });
      }
      // A second topic, so batches of several topics and partitions interleave.
      await producer.send({
        topic: topics[1],
        acks: -1,
        messages: chainOf('crash-other', [{ type: 'CustomerUpdated', data: {} }]).map((e) => ({ key: e.streamId, value: JSON.stringify(e) })),
      });
    } finally {
      await producer.disconnect();
    }
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    await issuer?.stop();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}_outbox" CASCADE`);
    await dropTestSchema(db, schema);
  });

  it('loses nothing, duplicates nothing, and keeps the Merkle tree consistent', async () => {
    app = await launch();
    db = await connectTestSchema(schema, 'audit-crash-e2e');
    // Kill it once a good part of the backlog is in and a checkpoint was signed, well before the end.
    await expectEventually(
      async () => {
        if ((await indexed()) < 2000) throw new Error('still starting');
        if (!(await db.query(`SELECT 1 FROM "${schema}".checkpoints LIMIT 1`)).length) throw new Error('no checkpoint yet');
      },
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    await app.kill();
    const atKill = await indexed();
    expect(atKill).toBeLessThan(TOTAL);
    expect(atKill).toBeGreaterThanOrEqual(2000);

    app = await launch();
    await expectEventually(
      async () => {
        const n = await indexed();
        if (n < TOTAL + 1) throw new Error(`indexed ${n} of ${TOTAL + 1}`);
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    const [trail] = await db.query(
      `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS ids, min(position)::int AS first, max(position)::int AS last FROM "${schema}".trail`,
    );
    expect(trail).toEqual({ rows: TOTAL + 1, ids: TOTAL + 1, first: 0, last: TOTAL });
    const [leaves] = await db.query(`SELECT count(*)::int AS n, max(idx)::int AS last FROM "${schema}".merkle_nodes WHERE level = 0`);
    expect(leaves).toEqual({ n: TOTAL + 1, last: TOTAL });
    expect(await db.query(`SELECT event_id FROM "${schema}".chain_breaks`)).toEqual([]);

    const auditor = await issuer.issue({ roles: ['auditor'] });
    const result = await expectEventually(
      async () => {
        const res = await fetch(`${app?.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${auditor}` } });
        const body = (await res.json()) as VerificationResult;
        if (body.lastCheckpoint?.treeSize !== TOTAL + 1) throw new Error(`no checkpoint of the whole trail yet (${body.lastCheckpoint?.treeSize})`);
        return body;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(result).toMatchObject({ ok: true, problemCount: 0, treeSize: TOTAL + 1, eventsChecked: TOTAL + 1 });
    expect(result.lastCheckpoint).toMatchObject({ signatureValid: true, rootMatches: true });
    // Every checkpoint was rechecked against the tree, those signed before the crash included.
    const [{ before, all }] = await db.query(
      `SELECT count(*) FILTER (WHERE tree_size <= $1)::int AS before, count(*)::int AS all FROM "${schema}".checkpoints`,
      [atKill],
    );
    expect(before).toBeGreaterThanOrEqual(1);
    expect(result.checkpointsChecked).toBe(all);
  }, 420_000);
});
