import type { EventEnvelope } from '@warden/contracts';
import { quoteSchema } from '@warden/event-store';
import type { DataSource } from 'typeorm';
import { verifyCheckpointSignature } from '../checkpoints/checkpoint-signer.util';
import { checkLink, type StreamHead } from '../indexing/chain-link.util';
import { MerkleStore } from '../merkle/merkle-store';
import { leafHash, StreamingRoot } from '../merkle/merkle.util';
import { EventHasher } from './event-hasher.util';

/**
 * `source-reordered`: within a stream, a later version has a source position (the source's
 * `globalPosition`) that is not after the previous version's. `source-duplicated`: two events of
 * one source at the same source position. (Gaps in source positions are normal: never flagged.)
 */
export type ProblemKind = 'altered' | 'removed' | 'inserted' | 'reordered' | 'source-reordered' | 'source-duplicated' | 'checkpoint';

/** One finding, at an exact place: the audit position and, where known, the event and its stream. */
export type VerificationProblem = {
  kind: ProblemKind;
  position: number | null;
  eventId: string | null;
  topic: string | null;
  streamId: string | null;
  streamVersion: number | null;
  detail: string;
  /** With the `source-*` kinds: the source (service) and the event's position in it. */
  source?: string;
  sourcePosition?: number;
};

export type CheckpointCheck = {
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  signatureValid: boolean;
  /** The root recomputed from the events as stored equals the signed root. */
  rootMatches: boolean;
};

export type VerificationResult = {
  ok: boolean;
  verifiedAt: string;
  treeSize: number;
  eventsChecked: number;
  /** Positions whose month partition was dropped by the retention job (not a problem). */
  expired: number;
  checkpointsChecked: number;
  lastCheckpoint: CheckpointCheck | null;
  problemCount: number;
  /** The first problems found, in trail order (at most `maxProblems`). */
  problems: VerificationProblem[];
};

type Row = {
  position: string;
  event_id: string;
  topic: string;
  stream_id: string;
  stream_version: number;
  hash: string;
  envelope: string;
  source: string | null;
  source_position: string | null;
};
type Leaf = { idx: string; hash: Buffer };
/** A batch as read, with each row's hash recomputed from its text when a worker did it (`null`: it could not). */
type Batch = { rows: Row[]; leaves: Leaf[]; computed: Array<string | null> | null };
type CheckpointRow = {
  tree_size: string;
  root_hash: string;
  issued_at_text: string;
  key_id: string;
  public_key: string;
  signature: string;
};

export type TrailVerifierOptions = {
  dataSource: DataSource;
  schema: string;
  /** The checkpoint key to trust (base64 raw Ed25519 public key). */
  trustedPublicKey: string;
  batchSize?: number;
  maxProblems?: number;
  /** Worker threads that rehash events (`EventHasher`); 0 (default): the main thread hashes. */
  workers?: number;
  /** With `workers`, the trail size (positions) from which they are used (default 20,000). */
  parallelFrom?: number;
};

/**
 * Rechecks the whole trail from Postgres: each event's hash against its content, each stream's
 * hash chain in trail order, each position against the Merkle leaf stored for it, the stored
 * nodes against the last checkpoint, the root recomputed from the events at every checkpoint
 * size against that checkpoint's signed root, and each source's own order (within a stream, each
 * version after the previous one in the source's `globalPosition`; no source position twice; gaps
 * are normal). Streams the trail in batches (O(streams) memory):
 * the next batch is read (and, with `workers`, rehashed on worker threads) while this one is
 * checked.
 */
export class TrailVerifier {
  private readonly s: string;
  private readonly merkle: MerkleStore;

  constructor(private readonly options: TrailVerifierOptions) {
    this.s = quoteSchema(options.schema);
    this.merkle = new MerkleStore(options.schema);
  }

  async verify(): Promise<VerificationResult> {
    const { dataSource } = this.options;
    const batch = this.options.batchSize ?? 5000;
    const maxProblems = this.options.maxProblems ?? 1000;
    const problems: VerificationProblem[] = [];
    let problemCount = 0;
    const report = (problem: VerificationProblem) => {
      problemCount += 1;
      if (problems.length < maxProblems) problems.push(problem);
    };

    // The tree's size and the trail's last position from one snapshot: the indexer appends a trail
    // row and its leaf in one transaction, so an event indexed while verification starts is either
    // in both or in neither (two reads could see its row but not its leaf, and name it inserted).
    // Checkpoints too: one signed meanwhile would name a tree larger than the size read.
    const { size, maxPosition, checkpoints } = await dataSource.transaction('REPEATABLE READ', async (manager) => {
      const treeSize = await this.merkle.size(manager);
      const [row]: Array<{ max: string | null }> = await manager.query(`SELECT max(position) AS max FROM ${this.s}.trail`);
      const signed: CheckpointRow[] = await manager.query(
        `SELECT tree_size, root_hash, issued_at_text, key_id, public_key, signature FROM ${this.s}.checkpoints ORDER BY tree_size`,
      );
      return { size: treeSize, maxPosition: row.max === null ? null : Number(row.max), checkpoints: signed };
    });
    const dropped = new Set(
      (
        await dataSource.query(`SELECT to_char(month_start, 'YYYY-MM') AS m FROM ${this.s}.retention_drops`)
      ).map((r: { m: string }) => r.m),
    );
    const end = Math.max(size, maxPosition === null ? 0 : maxPosition + 1);

    const heads = new Map<string, StreamHead>();
    /** Per (source, stream): the highest version seen in trail order and its source position. */
    const sourceHeads = new Map<string, { streamVersion: number; sourcePosition: number }>();
    const root = new StreamingRoot();
    const checks: CheckpointCheck[] = [];
    let nextCheckpoint = 0;
    let eventsChecked = 0;
    let expired = 0;

    const closeCheckpoints = () => {
      while (
        nextCheckpoint < checkpoints.length &&
        Number(checkpoints[nextCheckpoint].tree_size) === root.size
      ) {
        const c = checkpoints[nextCheckpoint];
        const check: CheckpointCheck = {
          treeSize: Number(c.tree_size),
          rootHash: c.root_hash,
          issuedAt: c.issued_at_text,
          signatureValid: verifyCheckpointSignature(
            {
              treeSize: Number(c.tree_size),
              rootHash: c.root_hash,
              issuedAt: c.issued_at_text,
              keyId: c.key_id,
              publicKey: c.public_key,
              signature: c.signature,
            },
            this.options.trustedPublicKey,
          ),
          rootMatches: root.root().toString('hex') === c.root_hash,
        };
        checks.push(check);
        if (!check.signatureValid) {
          report({
            kind: 'checkpoint',
            position: null,
            eventId: null,
            topic: null,
            streamId: null,
            streamVersion: null,
            detail: `checkpoint of size ${check.treeSize}: signature does not verify`,
          });
        }
        if (!check.rootMatches) {
          report({
            kind: 'checkpoint',
            position: check.treeSize - 1,
            eventId: null,
            topic: null,
            streamId: null,
            streamVersion: null,
            detail: `checkpoint of size ${check.treeSize}: the root recomputed from the trail differs from the signed root (a change within the first ${check.treeSize} positions)`,
          });
        }
        nextCheckpoint += 1;
      }
    };

    const workers = this.options.workers ?? 0;
    const hasher = workers > 0 && end >= (this.options.parallelFrom ?? 20_000) ? new EventHasher(workers) : null;
    try {
      const read = (from: number): Promise<Batch> => {
        const to = Math.min(from + batch, end);
        const pending = Promise.all([
          dataSource.query(
            `SELECT position, event_id, topic, stream_id, stream_version, hash, envelope::text AS envelope, source, source_position
           FROM ${this.s}.trail WHERE position >= $1 AND position < $2 ORDER BY position, occurred_at`,
            [from, to],
          ) as Promise<Row[]>,
          dataSource.query(
            `SELECT idx, hash FROM ${this.s}.merkle_nodes WHERE level = 0 AND idx >= $1 AND idx < $2`,
            [from, to],
          ) as Promise<Leaf[]>,
        ]).then(async ([rows, leaves]) => ({
          rows,
          leaves,
          computed: hasher ? await hasher.hash(rows.map((r) => r.envelope)) : null,
        }));
        pending.catch(() => undefined); // awaited below; never an unhandled rejection if checking fails first
        return pending;
      };
      let ahead = end > 0 ? read(0) : null;
      for (let from = 0; from < end; from += batch) {
        const to = Math.min(from + batch, end);
        const { rows, leaves, computed } = await (ahead as Promise<Batch>);
        ahead = to < end ? read(to) : null;
        const computedOf = new Map<Row, string | null>(computed ? rows.map((r, i) => [r, computed[i]]) : []);
        const leafAt = new Map(leaves.map((l) => [Number(l.idx), l.hash]));
        const byPosition = new Map<number, Row[]>();
        for (const row of rows) {
          const list = byPosition.get(Number(row.position));
          if (list) list.push(row);
          else byPosition.set(Number(row.position), [row]);
        }
        const missing = [...Array(to - from).keys()]
          .map((i) => from + i)
          .filter((p) => p < size && !byPosition.has(p));
        const ids = new Map<number, { event_id: string; topic: string; month: string }>();
        if (missing.length) {
          const found: Array<{ position: string; event_id: string; topic: string; month: string }> =
            await dataSource.query(
              `SELECT position, event_id, topic, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month
           FROM ${this.s}.trail_ids WHERE position = ANY($1::bigint[])`,
              [missing],
            );
          for (const f of found) ids.set(Number(f.position), f);
        }

        for (let p = from; p < to; p += 1) {
          const stored = leafAt.get(p);
          const here = byPosition.get(p) ?? [];
          if (here.length === 0) {
            if (p >= size) continue;
            const id = ids.get(p);
            if (id && dropped.has(id.month)) expired += 1;
            else {
              report({
                kind: 'removed',
                position: p,
                eventId: id?.event_id ?? null,
                topic: id?.topic ?? null,
                streamId: null,
                streamVersion: null,
                detail: `the event at position ${p} is missing from the trail`,
              });
            }
            if (stored) root.push(stored);
            closeCheckpoints();
            continue;
          }
          const [row, ...extra] = here;
          for (const x of extra) {
            report({
              kind: 'inserted',
              position: p,
              eventId: x.event_id,
              topic: x.topic,
              streamId: x.stream_id,
              streamVersion: x.stream_version,
              detail: `a second event at position ${p}`,
            });
          }
          eventsChecked += here.length;
          const at = {
            position: p,
            eventId: row.event_id,
            topic: row.topic,
            streamId: row.stream_id,
            streamVersion: row.stream_version,
          };
          if (p >= size || !stored) {
            report({
              kind: 'inserted',
              ...at,
              detail: `position ${p} is not in the Merkle tree (size ${size})`,
            });
            continue;
          }
          let envelope: EventEnvelope;
          try {
            envelope = JSON.parse(row.envelope) as EventEnvelope;
          } catch {
            report({ kind: 'altered', ...at, detail: 'the stored envelope is not JSON' });
            root.push(stored);
            closeCheckpoints();
            continue;
          }
          if (
            envelope.eventId !== row.event_id ||
            envelope.streamId !== row.stream_id ||
            envelope.streamVersion !== row.stream_version ||
            envelope.hash !== row.hash ||
            (row.source_position !== null && envelope.globalPosition !== Number(row.source_position))
          ) {
            report({
              kind: 'altered',
              ...at,
              detail: 'the indexed columns do not match the stored envelope',
            });
          }
          const key = `${row.topic}\u0000${row.stream_id}`;
          const head = heads.get(key) ?? null;
          const tolerateExpiredStart = head === null && envelope.streamVersion > 1 && dropped.size > 0;
          // A worker's `null` (the text parsed here but could not be hashed there) counts as altered.
          const recomputed = computed ? (computedOf.get(row) ?? '') : undefined;
          const broken = tolerateExpiredStart ? null : checkLink(head, envelope, recomputed);
          if (broken) report({ kind: broken.kind, ...at, detail: broken.reason });
          if (!head || envelope.streamVersion > head.streamVersion)
            heads.set(key, { streamVersion: envelope.streamVersion, lastHash: envelope.hash });
          if (row.source !== null && row.source_position !== null) {
            const sourceKey = `${row.source}\u0000${row.stream_id}`;
            const sourcePosition = Number(row.source_position);
            const previous = sourceHeads.get(sourceKey);
            if (!previous || row.stream_version > previous.streamVersion) {
              if (previous && sourcePosition <= previous.sourcePosition) {
                report({
                  kind: 'source-reordered',
                  ...at,
                  source: row.source,
                  sourcePosition,
                  detail: `${row.source}: version ${row.stream_version} is at source position ${sourcePosition}, not after version ${previous.streamVersion} at source position ${previous.sourcePosition}`,
                });
              }
              sourceHeads.set(sourceKey, { streamVersion: row.stream_version, sourcePosition });
            }
          }
          const leaf = leafHash(/^[0-9a-f]{64}$/.test(row.hash) ? row.hash : '0'.repeat(64));
          if (!leaf.equals(stored)) {
            report({
              kind: 'altered',
              ...at,
              detail: `the event's hash does not match the Merkle leaf recorded for position ${p} (changed, or moved from another position)`,
            });
          }
          root.push(leaf);
          closeCheckpoints();
        }
      }
    } finally {
      await hasher?.close();
    }

    await this.checkSourceDuplicates(report);

    const last = checks.at(-1) ?? null;
    if (last) {
      const storedRoot = (await this.merkle.root(dataSource.manager, last.treeSize)).toString('hex');
      if (storedRoot !== last.rootHash) {
        report({
          kind: 'checkpoint',
          position: null,
          eventId: null,
          topic: null,
          streamId: null,
          streamVersion: null,
          detail: `the stored Merkle nodes give another root than the checkpoint of size ${last.treeSize}`,
        });
      }
    }
    if (checks.length < checkpoints.length) {
      report({
        kind: 'checkpoint',
        position: null,
        eventId: null,
        topic: null,
        streamId: null,
        streamVersion: null,
        detail: `${checkpoints.length - checks.length} checkpoint(s) name a tree larger than the trail (${root.size})`,
      });
    }
    return {
      ok: problemCount === 0,
      verifiedAt: new Date().toISOString(),
      treeSize: size,
      eventsChecked,
      expired,
      checkpointsChecked: checks.length,
      lastCheckpoint: last,
      problemCount,
      problems,
    };
  }

  /** Every event that shares its source position with another event of the same source. */
  private async checkSourceDuplicates(report: (problem: VerificationProblem) => void): Promise<void> {
    const rows: Array<Row & { others: string }> = await this.options.dataSource.query(
      `SELECT t.position, t.event_id, t.topic, t.stream_id, t.stream_version, t.source, t.source_position, d.positions AS others
       FROM ${this.s}.trail t
       JOIN (SELECT source, source_position, string_agg(position::text, ', ' ORDER BY position) AS positions
             FROM ${this.s}.trail WHERE source IS NOT NULL AND source_position IS NOT NULL
             GROUP BY source, source_position HAVING count(*) > 1) d
         ON d.source = t.source AND d.source_position = t.source_position
       ORDER BY t.source, t.source_position, t.position`,
    );
    for (const row of rows) {
      report({
        kind: 'source-duplicated',
        position: Number(row.position),
        eventId: row.event_id,
        topic: row.topic,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        source: row.source as string,
        sourcePosition: Number(row.source_position),
        detail: `${row.source}: source position ${row.source_position} is held by the events at audit positions ${row.others}`,
      });
    }
  }
}
