import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from 'typeorm';

/** The size of one stored chunk of an upload's ciphertext. */
const CHUNK_BYTES = 1024 * 1024;

/** What decrypts a spooled upload: its AES-256-GCM key, IV and tag. */
export type SpoolSecrets = { key: Buffer; iv: Buffer; tag: Buffer };

/** The upload was larger than the limit. */
export class SpoolLimitError extends Error {
  constructor(readonly limit: number) {
    super(`the upload is larger than ${limit} bytes`);
  }
}

/**
 * An uploaded file spooled to local disk while it arrives, encrypted (AES-256-GCM) under a fresh
 * key: the customers' data in it is never at rest in clear. Its ciphertext is then stored with the
 * import (`store`) and read back from there (`storedUpload`); the key is kept only as the import
 * service encrypts it (under a data key of the import, shredded when the import ends). Memory
 * stays constant: the upload is piped to disk and read back as a stream.
 */
export class ImportSpool {
  private constructor(
    readonly path: string,
    private readonly key: Buffer,
    private readonly iv: Buffer,
    private readonly tag: Buffer,
    readonly bytes: number,
  ) {}

  /** Spools `source` (at most `maxBytes`, else `SpoolLimitError` and nothing is kept). */
  static async write(source: Readable, maxBytes: number): Promise<ImportSpool> {
    const path = join(tmpdir(), `warden-import-${randomUUID()}.bin`);
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new SpoolLimitError(maxBytes));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(source, limit, cipher, createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return new ImportSpool(path, key, iv, cipher.getAuthTag(), bytes);
  }

  /** The upload in clear, as a stream (the tag is checked at its end: a changed file fails). */
  read(): Readable {
    return decrypted(createReadStream(this.path), this.secrets);
  }

  get secrets(): SpoolSecrets {
    return { key: this.key, iv: this.iv, tag: this.tag };
  }

  /**
   * Copies the spooled ciphertext (never the clear upload) into `<table>` as numbered chunks of
   * 1 MiB, in the caller's transaction: from then on the upload outlives this process (see
   * `storedUpload`), provided its secrets are kept too.
   */
  async store(manager: EntityManager, table: string, importId: string): Promise<void> {
    let seq = 0;
    for await (const chunk of createReadStream(this.path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
      seq += 1;
      await manager.query(`INSERT INTO ${table} (import_id, seq, data) VALUES ($1, $2, $3)`, [importId, seq, chunk]);
    }
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** A stored upload's chunk could not be read from the database: the import is interrupted, its file is not at fault. */
export class SpoolReadError extends Error {
  override readonly name = 'SpoolReadError';
}

/** The clear upload of a stored spool: its chunks read one at a time, decrypted as a stream. */
export function storedUpload(manager: EntityManager, table: string, importId: string, secrets: SpoolSecrets): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let seq = 1; ; seq += 1) {
      let rows: Array<{ data: Buffer }>;
      try {
        rows = await manager.query(`SELECT data FROM ${table} WHERE import_id = $1 AND seq = $2`, [importId, seq]);
      } catch (error) {
        throw new SpoolReadError(`chunk ${seq} of the stored upload could not be read`, { cause: error });
      }
      if (rows.length === 0) return;
      yield rows[0].data;
    }
  }
  return decrypted(Readable.from(chunks()), secrets);
}

function decrypted(source: Readable, { key, iv, tag }: SpoolSecrets): Readable {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  source.on('error', (error) => decipher.destroy(error));
  return source.pipe(decipher);
}
