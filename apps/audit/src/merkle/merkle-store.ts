import { quoteSchema } from '@warden/event-store';
import type { EntityManager } from 'typeorm';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  leftSiblingsOf,
  nodesCompletedBy,
  treeRoot,
  withFetchedNodes,
} from './merkle.util';

type Key = { level: number; index: number };
const keyOf = (level: number, index: number) => `${level}:${index}`;

/** The audit's Merkle tree in Postgres: every complete subtree is stored once, when it completes. */
export class MerkleStore {
  private readonly s: string;

  constructor(schema: string) {
    this.s = quoteSchema(schema);
  }

  /** Leaves in the tree (the next leaf's index). Call under the tree lock when appending. */
  async size(manager: EntityManager): Promise<number> {
    const rows: Array<{ size: string }> = await manager.query(
      `SELECT coalesce(max(idx) + 1, 0) AS size FROM ${this.s}.merkle_nodes WHERE level = 0`,
    );
    return Number(rows[0].size);
  }

  /** Appends the leaf of an event at `index` and the parents it completes. */
  async append(manager: EntityManager, index: number, eventHashHex: string): Promise<void> {
    const siblings = await this.fetch(manager, leftSiblingsOf(index));
    const nodes = nodesCompletedBy(index, leafHash(eventHashHex), (level, i) => {
      const hash = siblings.get(keyOf(level, i));
      if (!hash) throw new Error(`Merkle node ${level}:${i} is missing`);
      return hash;
    });
    await manager.query(
      `INSERT INTO ${this.s}.merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  }

  /**
   * Appends the leaves of events `start…start+n−1` (in order) and every parent they complete, with
   * one read (the left siblings already in the tree: at most one per level) and one multi-row
   * insert. Call under the tree lock, with `start` = the current size.
   */
  async appendMany(manager: EntityManager, start: number, eventHashesHex: readonly string[]): Promise<number> {
    if (eventHashesHex.length === 0) return 0;
    const before: Key[] = [];
    const seen = new Set<string>();
    for (let i = start; i < start + eventHashesHex.length; i += 1) {
      for (const k of leftSiblingsOf(i)) {
        const key = keyOf(k.level, k.index);
        // A sibling whose leaves all lie before `start` is already stored; the others this batch computes.
        if ((k.index + 1) * 2 ** k.level <= start && !seen.has(key)) {
          seen.add(key);
          before.push(k);
        }
      }
    }
    const known = await this.fetch(manager, before);
    const levels: number[] = [];
    const indexes: number[] = [];
    const hashes: Buffer[] = [];
    eventHashesHex.forEach((hex, offset) => {
      const nodes = nodesCompletedBy(start + offset, leafHash(hex), (level, i) => {
        const hash = known.get(keyOf(level, i));
        if (!hash) throw new Error(`Merkle node ${level}:${i} is missing`);
        return hash;
      });
      for (const n of nodes) {
        known.set(keyOf(n.level, n.index), n.hash);
        levels.push(n.level);
        indexes.push(n.index);
        hashes.push(n.hash);
      }
    });
    await manager.query(
      `INSERT INTO ${this.s}.merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
      [levels, indexes, hashes],
    );
    return hashes.length;
  }

  async fetch(manager: EntityManager, keys: readonly Key[]): Promise<Map<string, Buffer>> {
    if (keys.length === 0) return new Map();
    const rows: Array<{ level: number; idx: string; hash: Buffer }> = await manager.query(
      `SELECT n.level, n.idx, n.hash FROM ${this.s}.merkle_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    return new Map(rows.map((r) => [keyOf(r.level, Number(r.idx)), r.hash]));
  }

  root(manager: EntityManager, size: number): Promise<Buffer> {
    return withFetchedNodes((node) => treeRoot(size, node), (keys) => this.fetch(manager, keys));
  }

  inclusion(manager: EntityManager, index: number, size: number): Promise<Buffer[]> {
    return withFetchedNodes((node) => inclusionProof(index, size, node), (keys) => this.fetch(manager, keys));
  }

  consistency(manager: EntityManager, first: number, second: number): Promise<Buffer[]> {
    return withFetchedNodes((node) => consistencyProof(first, second, node), (keys) => this.fetch(manager, keys));
  }
}
