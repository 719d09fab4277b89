import { randomBytes } from 'node:crypto';
import { auditCheckpointSignedV1 } from '@warden/contracts';
import { CheckpointSigner, verifyCheckpointSignature } from './checkpoint-signer.util';

describe('checkpoint signatures (Ed25519)', () => {
  const signer = new CheckpointSigner(randomBytes(32).toString('base64'));
  const body = { treeSize: 42, rootHash: 'ab'.repeat(32), issuedAt: '2026-11-29T03:00:00.000Z' };

  it('a signed checkpoint satisfies its contract and verifies with the signer key', () => {
    const checkpoint = signer.sign(body);
    expect(auditCheckpointSignedV1.parse(checkpoint)).toEqual(checkpoint);
    expect(verifyCheckpointSignature(checkpoint, signer.publicKeyBase64)).toBe(true);
  });

  it('a changed size, root or time, or another key, does not verify', () => {
    const checkpoint = signer.sign(body);
    expect(verifyCheckpointSignature({ ...checkpoint, treeSize: 43 })).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, rootHash: 'cd'.repeat(32) })).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, issuedAt: '2026-11-29T03:00:01.000Z' })).toBe(false);
    const other = new CheckpointSigner(randomBytes(32).toString('base64'));
    expect(verifyCheckpointSignature(checkpoint, other.publicKeyBase64)).toBe(false);
    const forged = other.sign(body);
    expect(verifyCheckpointSignature(forged, signer.publicKeyBase64)).toBe(false);
  });

  it('the same seed gives the same key id', () => {
    const seed = randomBytes(32).toString('base64');
    expect(new CheckpointSigner(seed).keyId).toBe(new CheckpointSigner(seed).keyId);
  });
});
