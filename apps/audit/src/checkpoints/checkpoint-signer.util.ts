import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { checkpointSignedText, type AuditCheckpointSignedData } from '@warden/contracts';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER prefix of an SPKI Ed25519 public key; the 32 raw bytes follow. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export type CheckpointBody = { treeSize: number; rootHash: string; issuedAt: string };

/** Signs checkpoints with the audit's Ed25519 key (from `AUDIT_SIGNING_KEY`, a 32-byte seed). */
export class CheckpointSigner {
  private readonly privateKey: KeyObject;
  readonly publicKeyBase64: string;
  readonly keyId: string;

  constructor(seedBase64: string) {
    const seed = Buffer.from(seedBase64, 'base64');
    if (seed.length !== 32) throw new Error('the checkpoint signing key must be 32 bytes');
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.privateKey).export({ format: 'der', type: 'spki' });
    const raw = spki.subarray(SPKI_ED25519_PREFIX.length);
    this.publicKeyBase64 = raw.toString('base64');
    this.keyId = keyIdOf(raw);
  }

  sign(body: CheckpointBody): AuditCheckpointSignedData {
    const unsigned = { ...body, keyId: this.keyId };
    const signature = sign(null, Buffer.from(checkpointSignedText(unsigned), 'utf8'), this.privateKey).toString('base64');
    return { ...unsigned, algorithm: 'Ed25519', publicKey: this.publicKeyBase64, signature };
  }
}

export const keyIdOf = (rawPublicKey: Buffer): string => createHash('sha256').update(rawPublicKey).digest('hex').slice(0, 16);

/**
 * Checks a checkpoint's signature with `trustedPublicKey` (base64 raw 32 bytes; by default the key
 * the checkpoint names, which only proves integrity — pass the key you trust to prove origin).
 */
export function verifyCheckpointSignature(
  checkpoint: Pick<AuditCheckpointSignedData, 'treeSize' | 'rootHash' | 'issuedAt' | 'keyId' | 'publicKey' | 'signature'>,
  trustedPublicKey: string = checkpoint.publicKey,
): boolean {
  try {
    const raw = Buffer.from(trustedPublicKey, 'base64');
    if (raw.length !== 32 || keyIdOf(raw) !== checkpoint.keyId) return false;
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(checkpointSignedText(checkpoint), 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}
