import { createHash, hash as digest } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 (Certificate Transparency) Merkle tree hashing, proofs and their
 * verification. Pure: the tree's complete subtrees come from a `NodeSource`, so a proof over a
 * tree of any size reads O(log² n) stored nodes and hashes nothing else.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** `SHA-256(0x00 || eventHash)`, `eventHash` being the 32 bytes of the event's hex `hash`. */
export const leafHash = (eventHashHex: string): Buffer => digest('sha256', Buffer.concat([LEAF_PREFIX, Buffer.from(eventHashHex, 'hex')]), 'buffer');

/** `SHA-256(0x01 || left || right)`. */
export const nodeHash = (left: Buffer, right: Buffer): Buffer => digest('sha256', Buffer.concat([NODE_PREFIX, left, right], 65), 'buffer');

/** The hash of an empty tree: `SHA-256()`. */
export const EMPTY_ROOT = createHash('sha256').digest();

/**
 * The hash of the complete subtree at `level` (2^level leaves) with index `index` at that level,
 * i.e. over the leaves `[index·2^level, (index+1)·2^level)`.
 */
export type NodeSource = (level: number, index: number) => Buffer;

/** The largest power of two strictly below `n` (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));
const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

/** MTH(D[start:end]) from stored complete subtrees (ranges in proofs are always left-aligned). */
export function rangeHash(start: number, end: number, node: NodeSource): Buffer {
  const size = end - start;
  if (size <= 0) throw new Error(`empty range [${start}, ${end})`);
  if (isPowerOfTwo(size) && start % size === 0) return node(Math.log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(rangeHash(start, start + k, node), rangeHash(start + k, end, node));
}

/** The root of a tree of `size` leaves. */
export const treeRoot = (size: number, node: NodeSource): Buffer => (size === 0 ? EMPTY_ROOT : rangeHash(0, size, node));

/** RFC 6962 PATH(m, D[size]): the audit path of leaf `index`, from the leaf up. */
export function inclusionProof(index: number, size: number, node: NodeSource): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = (m: number, start: number, end: number): Buffer[] => {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, start, start + k), rangeHash(start + k, end, node)]
      : [...path(m - k, start + k, end), rangeHash(start, start + k, node)];
  };
  return path(index, 0, size);
}

/** RFC 6962 PROOF(m, D[n]): that the tree of `first` leaves is a prefix of the tree of `second`. */
export function consistencyProof(first: number, second: number, node: NodeSource): Buffer[] {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 1 || first > second) {
    throw new RangeError(`no consistency proof from ${first} to ${second}`);
  }
  const sub = (m: number, start: number, end: number, complete: boolean): Buffer[] => {
    const n = end - start;
    if (m === n) return complete ? [] : [rangeHash(start, end, node)];
    const k = splitPoint(n);
    return m <= k
      ? [...sub(m, start, start + k, complete), rangeHash(start + k, end, node)]
      : [...sub(m - k, start + k, end, false), rangeHash(start, start + k, node)];
  };
  return sub(first, 0, second, true);
}

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(leaf: Buffer, index: number, size: number, proof: readonly Buffer[], root: Buffer): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

/**
 * The complete subtrees that appending leaf number `index` (0-based) completes: the leaf itself
 * at level 0, then each parent whose right child it closes. `leftSibling(level, index)` gives the
 * stored left neighbour at that level.
 */
export function nodesCompletedBy(
  index: number,
  leaf: Buffer,
  leftSibling: (level: number, index: number) => Buffer,
): Array<{ level: number; index: number; hash: Buffer }> {
  const out = [{ level: 0, index, hash: leaf }];
  let i = index;
  let level = 0;
  let hash = leaf;
  while (odd(i)) {
    hash = nodeHash(leftSibling(level, i - 1), hash);
    level += 1;
    i = half(i);
    out.push({ level, index: i, hash });
  }
  return out;
}

/** The left siblings `nodesCompletedBy(index, …)` will ask for. */
export function leftSiblingsOf(index: number): Array<{ level: number; index: number }> {
  const out: Array<{ level: number; index: number }> = [];
  let i = index;
  let level = 0;
  while (odd(i)) {
    out.push({ level, index: i - 1 });
    level += 1;
    i = half(i);
  }
  return out;
}

/**
 * Computes a root incrementally from leaves given in order (O(log n) memory), as verification
 * streams the whole trail.
 */
export class StreamingRoot {
  private readonly stack: Array<{ level: number; hash: Buffer }> = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(leaf: Buffer): void {
    let hash = leaf;
    let level = 0;
    while (this.stack.length && this.stack[this.stack.length - 1].level === level) {
      hash = nodeHash((this.stack.pop() as { hash: Buffer }).hash, hash);
      level += 1;
    }
    this.stack.push({ level, hash });
    this.count += 1;
  }

  /** MTH of the leaves pushed so far. */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let hash = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i -= 1) hash = nodeHash(this.stack[i].hash, hash);
    return hash;
  }
}

/**
 * Runs `compute` twice: once to learn which stored nodes it reads (answering zeros), then with the
 * nodes fetched in one go. Which nodes a proof reads depends only on sizes and indexes.
 */
export async function withFetchedNodes<T>(
  compute: (node: NodeSource) => T,
  fetch: (keys: ReadonlyArray<{ level: number; index: number }>) => Promise<Map<string, Buffer>>,
): Promise<T> {
  const wanted = new Map<string, { level: number; index: number }>();
  compute((level, index) => {
    wanted.set(`${level}:${index}`, { level, index });
    return Buffer.alloc(32);
  });
  const nodes = await fetch([...wanted.values()]);
  return compute((level, index) => {
    const hash = nodes.get(`${level}:${index}`);
    if (!hash) throw new Error(`Merkle node ${level}:${index} is missing`);
    return hash;
  });
}
