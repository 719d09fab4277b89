import { alertStreamId, systemActor, type AlertRaisedData, type EventEnvelope } from '@warden/contracts';
import { quoteSchema, type EventStore } from '@warden/event-store';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { MerkleStore } from '../merkle/merkle-store';
import { checkLink, type LinkBreak, type StreamHead } from './chain-link.util';
import { sourceOf } from './trail-source.util';

export type IndexOutcome =
  | { duplicate: true }
  | { duplicate: false; position: number; break: LinkBreak | null };

/** One event to index and the topic it arrived on (without the deployment's topic prefix). */
export type TrailItem = { topic: string; event: EventEnvelope };

export type TrailIndexerOptions = {
  schema: string;
  /** The audit's outgoing log: a broken chain is raised there as an `audit-chain-broken` alert. */
  outbox: EventStore | null;
  now?: () => Date;
};

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `2026-11-05T…` → `2026-11-01` */
const monthOf = (iso: string): string => `${new Date(iso).toISOString().slice(0, 7)}-01`;

const headKey = (topic: string, streamId: string): string => `${topic}\u0000${streamId}`;

type Fresh = { item: TrailItem; slot: number; position: number };
type Break = { fresh: Fresh; broken: LinkBreak };

/**
 * Indexes events into the trail inside the caller's transaction, a whole batch at a time and
 * set-wise: one transaction-scoped advisory lock (one writer of the tree at a time), one read of
 * the tree size, one of the ids already indexed, one of the stream heads; then one multi-row
 * insert each for the ids, the rows, the Merkle leaves and the subtrees they complete, the new
 * stream heads and the breaks — whatever the batch size. Each event is stored once by event id
 * (a repeat, in the batch or from an earlier one, is a duplicate); the chain check runs in batch
 * order against the heads as they stand after the previous events, exactly as one by one; a
 * broken link is indexed anyway, recorded and raised as a critical alert in the same commit.
 */
export class TrailIndexer {
  private readonly s: string;
  private readonly merkle: MerkleStore;
  private readonly partitions = new Set<string>();
  private readonly now: () => Date;

  constructor(private readonly options: TrailIndexerOptions) {
    this.s = quoteSchema(options.schema);
    this.merkle = new MerkleStore(options.schema);
    this.now = options.now ?? (() => new Date());
  }

  get lockKey(): string {
    return `warden.audit.tree.${this.options.schema}`;
  }

  /** One event (a batch of one). */
  async index(manager: EntityManager, topic: string, event: EventEnvelope): Promise<IndexOutcome> {
    const [outcome] = await this.indexBatch(manager, [{ topic, event }]);
    return outcome;
  }

  /** A batch of events, in order; one outcome per item. */
  async indexBatch(manager: EntityManager, items: readonly TrailItem[]): Promise<IndexOutcome[]> {
    const outcomes: IndexOutcome[] = items.map(() => ({ duplicate: true }));
    if (items.length === 0) return outcomes;
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [this.lockKey]);
    const size = await this.merkle.size(manager);

    // Idempotence by event id: already indexed, or a repeat within the batch.
    const ids = [...new Set(items.map((i) => i.event.eventId))];
    const known: Array<{ event_id: string }> = await manager.query(
      `SELECT event_id FROM ${this.s}.trail_ids WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    const taken = new Set(known.map((r) => r.event_id));
    const fresh: Fresh[] = [];
    items.forEach((item, slot) => {
      if (taken.has(item.event.eventId)) return;
      taken.add(item.event.eventId);
      fresh.push({ item, slot, position: size + fresh.length });
    });
    if (fresh.length === 0) return outcomes;

    const inserted: unknown[] = await manager.query(
      `INSERT INTO ${this.s}.trail_ids (event_id, position, occurred_at, topic)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [fresh.map((f) => f.item.event.eventId), fresh.map((f) => f.position), fresh.map((f) => f.item.event.occurredAt), fresh.map((f) => f.item.topic)],
    );
    // Under the tree lock nobody else inserts ids: a shortfall means the lock was bypassed.
    if (inserted.length !== fresh.length) throw new Error(`trail_ids: ${fresh.length - inserted.length} id(s) appeared during the batch`);

    await this.ensurePartitions(manager, fresh.map((f) => f.item.event.occurredAt));
    const breaks = await this.checkChains(manager, fresh);

    await manager.query(
      `INSERT INTO ${this.s}.trail (position, event_id, topic, stream_id, stream_version, type, occurred_at, actor_id,
         actor_ip, user_id, customer_id, correlation_id, hash, envelope, source, source_position)
       SELECT p, e, t, si, sv, ty, o, a, ip, u, c, co, h, env::jsonb, src, sp
       FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::timestamptz[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[])
         AS x(p, e, t, si, sv, ty, o, a, ip, u, c, co, h, env, src, sp)`,
      rowColumns(fresh),
    );
    await this.merkle.appendMany(
      manager,
      size,
      fresh.map((f) => f.item.event.hash),
    );
    for (const { fresh: f, broken } of breaks) {
      outcomes[f.slot] = { duplicate: false, position: f.position, break: broken };
    }
    for (const f of fresh) {
      if (outcomes[f.slot].duplicate) outcomes[f.slot] = { duplicate: false, position: f.position, break: null };
    }
    if (breaks.length) await this.recordBreaks(manager, breaks);
    return outcomes;
  }

  /**
   * Checks each fresh event against its stream's head as it stands after the events before it
   * (the stored heads, then the batch's own), and stores the heads that moved.
   */
  private async checkChains(manager: EntityManager, fresh: readonly Fresh[]): Promise<Break[]> {
    const keys = new Map<string, { topic: string; streamId: string }>();
    for (const { item } of fresh) keys.set(headKey(item.topic, item.event.streamId), { topic: item.topic, streamId: item.event.streamId });
    const rows: Array<{ topic: string; stream_id: string; stream_version: number; last_hash: string }> = await manager.query(
      `SELECT h.topic, h.stream_id, h.stream_version, h.last_hash FROM ${this.s}.stream_heads h
       JOIN unnest($1::text[], $2::text[]) AS k(topic, stream_id) ON h.topic = k.topic AND h.stream_id = k.stream_id`,
      [[...keys.values()].map((k) => k.topic), [...keys.values()].map((k) => k.streamId)],
    );
    const heads = new Map<string, StreamHead>(rows.map((r) => [headKey(r.topic, r.stream_id), { streamVersion: r.stream_version, lastHash: r.last_hash }]));
    const moved = new Set<string>();
    const breaks: Break[] = [];
    for (const f of fresh) {
      const { topic, event } = f.item;
      const key = headKey(topic, event.streamId);
      const head = heads.get(key) ?? null;
      const broken = checkLink(head, event);
      if (broken) breaks.push({ fresh: f, broken });
      if (!head || event.streamVersion > head.streamVersion) {
        heads.set(key, { streamVersion: event.streamVersion, lastHash: event.hash });
        moved.add(key);
      }
    }
    if (moved.size) {
      const list = [...moved].map((key) => ({ ...(keys.get(key) as { topic: string; streamId: string }), head: heads.get(key) as StreamHead }));
      await manager.query(
        `INSERT INTO ${this.s}.stream_heads (topic, stream_id, stream_version, last_hash)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
         ON CONFLICT (topic, stream_id) DO UPDATE SET stream_version = EXCLUDED.stream_version, last_hash = EXCLUDED.last_hash`,
        [list.map((h) => h.topic), list.map((h) => h.streamId), list.map((h) => h.head.streamVersion), list.map((h) => h.head.lastHash)],
      );
    }
    return breaks;
  }

  private async ensurePartitions(manager: EntityManager, occurredAts: readonly string[]): Promise<void> {
    for (const month of new Set(occurredAts.map(monthOf))) {
      if (this.partitions.has(month)) continue;
      await manager.query(`SELECT ${this.s}.ensure_trail_partition($1::date)`, [month]);
      this.partitions.add(month);
    }
  }

  /** Forget the partitions known to exist (after the retention job dropped some). */
  forgetPartitions(): void {
    this.partitions.clear();
  }

  private async recordBreaks(manager: EntityManager, breaks: readonly Break[]): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.s}.chain_breaks (position, event_id, topic, stream_id, stream_version, reason)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[])`,
      [
        breaks.map((b) => b.fresh.position),
        breaks.map((b) => b.fresh.item.event.eventId),
        breaks.map((b) => b.fresh.item.topic),
        breaks.map((b) => b.fresh.item.event.streamId),
        breaks.map((b) => b.fresh.item.event.streamVersion),
        breaks.map((b) => `${b.broken.kind}: ${b.broken.reason}`),
      ],
    );
    if (!this.options.outbox) return;
    for (const b of breaks) await this.raiseAlert(manager, b);
  }

  private async raiseAlert(manager: EntityManager, { fresh: { item, position }, broken }: Break): Promise<void> {
    const { topic, event } = item;
    const now = this.now();
    const alertId = uuidv7();
    const data: AlertRaisedData = {
      alertId,
      rule: 'audit-chain-broken',
      severity: 'critical',
      score: 100,
      userId: null,
      summary: `hash chain broken (${broken.kind}) in ${topic} stream ${event.streamId} at version ${event.streamVersion}, audit position ${position}: ${broken.reason}`.slice(0, 500),
      evidence: [event.eventId],
      count: 1,
      firstSeenAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
    };
    await (this.options.outbox as EventStore).append(alertStreamId(alertId), [{ type: 'AlertRaised', data }], {
      expectedVersion: 0,
      manager,
      metadata: { actor: systemActor('audit'), correlationId: event.correlationId, causationId: event.eventId, now },
    });
  }
}

/** The trail's columns of the fresh events, one array per column (for `unnest`). */
function rowColumns(fresh: readonly Fresh[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const { item, position } of fresh) {
    const { topic, event } = item;
    const data = event.data;
    const row = [
      position,
      event.eventId,
      topic,
      event.streamId,
      event.streamVersion,
      event.type,
      event.occurredAt,
      event.actor.userId,
      event.actor.ip,
      str(data.userId) ?? str(data.requesterId) ?? str(data.readerId),
      str(data.customerId),
      event.correlationId,
      event.hash,
      JSON.stringify(event),
      sourceOf(topic, event),
      event.globalPosition,
    ];
    row.forEach((value, i) => columns[i].push(value));
  }
  return columns;
}
