import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  nodesCompletedBy,
  StreamingRoot,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  withFetchedNodes,
  type NodeSource,
} from './merkle.util';

const eventHash = (i: number) => createHash('sha256').update(`event-${i}`).digest('hex');

/** The reference MTH straight from RFC 6962 §2.1, over a list of leaf hashes. */
function referenceRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** A tree built the way the audit stores it: appending leaves and keeping every completed node. */
function buildTree(size: number): { node: NodeSource; leaves: Buffer[]; stored: Map<string, Buffer> } {
  const stored = new Map<string, Buffer>();
  const leaves: Buffer[] = [];
  for (let i = 0; i < size; i += 1) {
    const leaf = leafHash(eventHash(i));
    leaves.push(leaf);
    for (const n of nodesCompletedBy(i, leaf, (level, index) => stored.get(`${level}:${index}`) as Buffer)) {
      stored.set(`${n.level}:${n.index}`, n.hash);
    }
  }
  const node: NodeSource = (level, index) => {
    const hash = stored.get(`${level}:${index}`);
    if (!hash) throw new Error(`no node ${level}:${index}`);
    return hash;
  };
  return { node, leaves, stored };
}

const flip = (b: Buffer): Buffer => {
  const copy = Buffer.from(b);
  copy[0] ^= 0x01;
  return copy;
};

describe('Merkle tree (RFC 6962)', () => {
  it('leaf and node hashes use the 0x00 / 0x01 prefixes', () => {
    const h = eventHash(1);
    expect(leafHash(h)).toEqual(createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(h, 'hex')])).digest());
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(nodeHash(a, b)).toEqual(createHash('sha256').update(Buffer.concat([Buffer.from([1]), a, b])).digest());
  });

  it('the stored nodes, the streaming root and the reference MTH agree for every size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const { node, leaves } = buildTree(size);
        const streaming = new StreamingRoot();
        for (const leaf of leaves) streaming.push(leaf);
        const expected = referenceRoot(leaves);
        expect(treeRoot(size, node)).toEqual(expected);
        expect(streaming.root()).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('every inclusion proof verifies against the root', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 260 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, index]) => {
          const { node, leaves } = buildTree(size);
          const root = treeRoot(size, node);
          const proof = inclusionProof(index, size, node);
          expect(verifyInclusion(leaves[index], index, size, proof, root)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a tampered inclusion proof, leaf, index or root does not verify', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 260 }).chain((size) =>
          fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.nat(), fc.integer({ min: 0, max: 3 })),
        ),
        ([size, index, pick, how]) => {
          const { node, leaves } = buildTree(size);
          const root = treeRoot(size, node);
          const proof = inclusionProof(index, size, node);
          if (how === 0) {
            const tampered = [...proof];
            tampered[pick % proof.length] = flip(tampered[pick % proof.length]);
            expect(verifyInclusion(leaves[index], index, size, tampered, root)).toBe(false);
          } else if (how === 1) {
            expect(verifyInclusion(flip(leaves[index]), index, size, proof, root)).toBe(false);
          } else if (how === 2) {
            const other = (index + 1 + (pick % (size - 1))) % size;
            expect(verifyInclusion(leaves[index], other, size, proof, root)).toBe(false);
          } else {
            expect(verifyInclusion(leaves[index], index, size, proof, flip(root))).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every consistency proof verifies between two tree sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 260 }).chain((second) => fc.tuple(fc.integer({ min: 1, max: second }), fc.constant(second))),
        ([first, second]) => {
          const { node } = buildTree(second);
          const proof = consistencyProof(first, second, node);
          expect(verifyConsistency(first, second, treeRoot(first, node), treeRoot(second, node), proof)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a tampered consistency proof or root does not verify', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 260 }).chain((second) =>
          fc.tuple(fc.integer({ min: 1, max: second - 1 }), fc.constant(second), fc.nat(), fc.integer({ min: 0, max: 2 })),
        ),
        ([first, second, pick, how]) => {
          const { node } = buildTree(second);
          const proof = consistencyProof(first, second, node);
          const r1 = treeRoot(first, node);
          const r2 = treeRoot(second, node);
          if (how === 0 && proof.length > 0) {
            const tampered = [...proof];
            tampered[pick % proof.length] = flip(tampered[pick % proof.length]);
            expect(verifyConsistency(first, second, r1, r2, tampered)).toBe(false);
          } else if (how === 1) {
            expect(verifyConsistency(first, second, flip(r1), r2, proof)).toBe(false);
          } else {
            expect(verifyConsistency(first, second, r1, flip(r2), proof)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a history rewritten below the first size is caught by the consistency proof', () => {
    const { node } = buildTree(40);
    const rewritten = buildTree(40);
    // Alter leaf 3 of the second tree: the old root of size 10 no longer is a prefix.
    const leaves = rewritten.leaves.map((l, i) => (i === 3 ? flip(l) : l));
    const stored = new Map<string, Buffer>();
    for (let i = 0; i < leaves.length; i += 1) {
      for (const n of nodesCompletedBy(i, leaves[i], (level, index) => stored.get(`${level}:${index}`) as Buffer)) {
        stored.set(`${n.level}:${n.index}`, n.hash);
      }
    }
    const forged: NodeSource = (level, index) => stored.get(`${level}:${index}`) as Buffer;
    const proof = consistencyProof(10, 40, forged);
    expect(verifyConsistency(10, 40, treeRoot(10, node), treeRoot(40, forged), proof)).toBe(false);
  });

  it('withFetchedNodes reads only the nodes a proof needs, in one fetch', async () => {
    const { node, stored } = buildTree(1000);
    let fetches = 0;
    let fetched = 0;
    const proof = await withFetchedNodes(
      (n) => inclusionProof(777, 1000, n),
      async (keys) => {
        fetches += 1;
        fetched = keys.length;
        return new Map(keys.map((k) => [`${k.level}:${k.index}`, stored.get(`${k.level}:${k.index}`) as Buffer]));
      },
    );
    expect(proof).toEqual(inclusionProof(777, 1000, node));
    expect(fetches).toBe(1);
    expect(fetched).toBeLessThanOrEqual(10 * 10);
  });

  it('refuses impossible requests', () => {
    const { node } = buildTree(5);
    expect(() => inclusionProof(5, 5, node)).toThrow(RangeError);
    expect(() => consistencyProof(6, 5, node)).toThrow(RangeError);
    expect(() => consistencyProof(0, 5, node)).toThrow(RangeError);
  });
});
