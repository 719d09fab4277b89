import { randomBytes } from 'node:crypto';
import { eventRegistry, type EventEnvelope } from '@warden/contracts';
import { EventStore } from '@warden/event-store';
import { createTestSchema, dropTestSchema, uniqueName } from '@warden/testing';
import { CheckpointService } from '../checkpoints/checkpoint.service';
import { auditMigrations } from '../core/audit.migrations';
import { loadAuditConfig, type AuditConfig } from '../core/config';
import { TrailIndexer } from '../indexing/trail-indexer';
import { TrailVerifier } from '../verification/trail-verifier';

/** A trail of its own: schema, outbox schema, indexer, checkpoints and verifier. */
export async function openTestTrail(topic: string) {
  const schema = uniqueName('t_audit');
  const { dataSource } = await createTestSchema('audit', auditMigrations(schema), schema);
  const outboxSchema = `${schema}_outbox`;
  const outboxDs = await createTestSchema('audit_outbox', [], outboxSchema);
  const outbox = new EventStore({ dataSource, schema: outboxSchema, registry: eventRegistry });
  const signingKey = randomBytes(32).toString('base64');
  const config: AuditConfig = loadAuditConfig({ AUDIT_SIGNING_KEY: signingKey, AUDIT_DB_SCHEMA: schema });
  const indexer = new TrailIndexer({ schema, outbox });
  const checkpoints = new CheckpointService(config, dataSource, outbox);
  const verifier = new TrailVerifier({ dataSource, schema, trustedPublicKey: checkpoints.signer.publicKeyBase64, batchSize: 7 });
  const index = async (events: readonly EventEnvelope[], on = topic) => {
    const outcomes = [];
    for (const e of events) outcomes.push(await dataSource.transaction((m) => indexer.index(m, on, e)));
    return outcomes;
  };
  /** Events indexed in batches of `size`, one transaction per batch (as the consumer does). */
  const indexInBatches = async (events: readonly EventEnvelope[], size: number, on = topic) => {
    const outcomes = [];
    for (let i = 0; i < events.length; i += size) {
      const items = events.slice(i, i + size).map((event) => ({ topic: on, event }));
      outcomes.push(...(await dataSource.transaction((m) => indexer.indexBatch(m, items))));
    }
    return outcomes;
  };
  /** What a superuser could do: run statements with the triggers off. */
  const tamper = (sql: string, params: unknown[] = []) =>
    dataSource.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(sql.replaceAll('$S', `"${schema}"`), params);
    });
  const close = async () => {
    await dataSource.query(`DROP SCHEMA IF EXISTS "${outboxSchema}" CASCADE`);
    await dropTestSchema(outboxDs.dataSource, outboxSchema);
    await dropTestSchema(dataSource, schema);
  };
  return { schema, config, dataSource, outbox, indexer, checkpoints, verifier, index, indexInBatches, tamper, close, outboxSchema, signingKey };
}

