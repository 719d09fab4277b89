import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Export files at rest: AES-256-GCM in segments of 64 KiB, each sealed on its own with a counter
 * nonce and `exportId | attempt | index | final` as associated data, under a data key of its own
 * per generation (wrapped by the KEK keyring, stored apart from the file). A reader checks each
 * segment before it passes it on, so a tampered byte stops the download at that segment, and a
 * file cut short is refused because its last segment is not marked final.
 *
 * Layout: per segment `length (4 bytes, BE) | tag (16) | ciphertext`.
 */
export const SEGMENT_BYTES = 64 * 1024;
const HEADER = 4 + 16;

const nonceOf = (index: number): Buffer => {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(index >>> 0, 8);
  return nonce;
};

const aadOf = (context: string, index: number, final: boolean): Buffer => Buffer.from(`${context}|${index}|${final ? 1 : 0}`);

export class FileIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileIntegrityError';
  }
}

/** Plaintext in, sealed segments out. */
export class SegmentEncryptor extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  /** Imported once: a cipher made from raw key bytes imports them again for every segment. */
  private readonly key: KeyObject;

  constructor(
    key: Buffer,
    private readonly context: string,
  ) {
    super();
    this.key = createSecretKey(key);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes > SEGMENT_BYTES) {
      const all = Buffer.concat(this.pending);
      this.push(this.seal(all.subarray(0, SEGMENT_BYTES), false));
      const rest = all.subarray(SEGMENT_BYTES);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(this.seal(Buffer.concat(this.pending), true));
    this.pending = [];
    done();
  }

  private seal(plain: Buffer, final: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.index));
    cipher.setAAD(aadOf(this.context, this.index, final));
    this.index += 1;
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32BE(body.length, 0);
    cipher.getAuthTag().copy(header, 4);
    return Buffer.concat([header, body]);
  }
}

/** Sealed segments in, plaintext out; fails on any tampering or truncation. */
export class SegmentDecryptor extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private index = 0;
  private sawFinal = false;
  private readonly key: KeyObject;

  constructor(
    key: Buffer,
    private readonly context: string,
  ) {
    super();
    this.key = createSecretKey(key);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      this.drain(false);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.drain(true);
      if (!this.sawFinal || this.buffer.length > 0) throw new FileIntegrityError('the export file is truncated');
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private drain(atEnd: boolean): void {
    while (this.buffer.length >= HEADER) {
      const length = this.buffer.readUInt32BE(0);
      if (this.buffer.length < HEADER + length) return;
      if (this.sawFinal) throw new FileIntegrityError('the export file has data after its last segment');
      const body = this.buffer.subarray(HEADER, HEADER + length);
      const tag = this.buffer.subarray(4, HEADER);
      const rest = this.buffer.subarray(HEADER + length);
      // The last segment is the one nothing follows; only known for sure at the end of input.
      const final = atEnd && rest.length === 0;
      // Whether this is the final segment is only known at the end of input: hold it back until then.
      if (!atEnd && rest.length === 0) return;
      this.push(this.open(body, tag, final));
      if (final) this.sawFinal = true;
      this.buffer = rest;
    }
  }

  private open(body: Buffer, tag: Buffer, final: boolean): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonceOf(this.index));
    decipher.setAAD(aadOf(this.context, this.index, final));
    decipher.setAuthTag(tag);
    this.index += 1;
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new FileIntegrityError('the export file failed its integrity check');
    }
  }
}
