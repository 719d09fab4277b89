import { Inject, Injectable } from '@nestjs/common';
import type { KeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import type { Principal } from '@warden/security';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import type { ExportsConfig } from '../core/config';
import { KEY_PROVIDER } from '../core/tokens';
import { SegmentDecryptor } from '../generation/encrypted-file.util';
import { ExportError, ExportErrorCode } from './export.exception';
import { ExportFiles } from './export-files';
import { ExportService } from './export.service';
import { geoOfIp } from './geo.util';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** One-time download links (only their SHA-256 is stored) and the download itself. */
@Injectable()
export class DownloadService {
  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    @Inject(KEY_PROVIDER) private readonly keys: KeyProvider,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly exportsService: ExportService,
    private readonly files: ExportFiles,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  /** A link for the requester of a completed export, valid `EXPORTS_LINK_TTL_MINUTES` (15 by default). */
  async createLink(exportId: string, principal: Principal): Promise<{ token: string; url: string; expiresAt: string }> {
    const row = await this.exportsService.row(exportId);
    if (row.requester_id !== principal.userId) throw new ExportError(ExportErrorCode.NotRequester, 'only the requester may download an export');
    if (row.status === 'downloaded' || row.status === 'expired' || row.status === 'cancelled') {
      throw new ExportError(ExportErrorCode.FileGone, `the export is ${row.status}; its file is gone`);
    }
    if (row.status !== 'completed') throw new ExportError(ExportErrorCode.NotReady, `the export is ${row.status}, not ready`);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.EXPORTS_LINK_TTL_MINUTES * 60_000);
    await this.dataSource.query(
      `INSERT INTO ${this.s}.download_links (token_hash, export_id, requester_id, expires_at) VALUES ($1, $2, $3, $4)`,
      [hashToken(token), exportId, principal.userId, expiresAt],
    );
    return { token, url: `/v1/exports/${exportId}/download?token=${token}`, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Spends the link (atomically: a second use, even concurrent, is 410), checks the file, and
   * returns a function that streams the decrypted file into the response, then records
   * `ExportDownloaded` and deletes the file.
   */
  async open(
    exportId: string,
    token: string,
    principal: Principal,
    metadata: CommandMetadata,
  ): Promise<{ format: string; send: (out: Writable) => Promise<void> }> {
    const links: Array<{ requester_id: string; used_at: Date | null; revoked_at: Date | null; expires_at: Date }> =
      await this.dataSource.query(
        `SELECT requester_id, used_at, revoked_at, expires_at FROM ${this.s}.download_links WHERE token_hash = $1 AND export_id = $2`,
        [hashToken(token), exportId],
      );
    const link = links[0];
    if (!link || link.requester_id !== principal.userId) {
      throw new ExportError(ExportErrorCode.LinkInvalid, 'this download link is not valid for you');
    }
    const [spent]: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.s}.download_links SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now() RETURNING token_hash`,
      [hashToken(token)],
    );
    if (spent.length === 0) {
      const why = link.used_at ? 'has been used' : link.revoked_at ? 'was revoked' : 'has expired';
      throw new ExportError(ExportErrorCode.LinkUsed, `this download link ${why}`);
    }
    const row = await this.exportsService.row(exportId);
    if (row.status !== 'completed') throw new ExportError(ExportErrorCode.FileGone, `the export is ${row.status}; its file is gone`);
    const path = this.files.finalPath(exportId, row.attempt);
    const keys: Array<{ kek_version: number; wrapped_key: string }> = await this.dataSource.query(
      `SELECT kek_version, wrapped_key FROM ${this.s}.export_files WHERE export_id = $1 AND attempt = $2`,
      [exportId, row.attempt],
    );
    if (!keys[0] || !(await access(path).then(() => true, () => false))) {
      throw new ExportError(ExportErrorCode.FileGone, 'the export file is gone');
    }
    const dataKey = await this.keys.unwrap({ kekVersion: keys[0].kek_version, ciphertext: keys[0].wrapped_key });
    return {
      format: row.format,
      send: async (out) => {
        let bytes = 0;
        const decryptor = new SegmentDecryptor(dataKey, `${exportId}|${row.attempt}`);
        decryptor.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        // The response ends only once the download is recorded: a client never holds the whole
        // file while the export still shows as not downloaded (if recording fails, the transfer is cut).
        await pipeline(createReadStream(path), decryptor, out, { end: false });
        await this.exportsService.handle(
          exportId,
          {
            type: 'RecordDownload',
            data: {
              ip: metadata.actor.ip,
              userAgent: metadata.actor.userAgent,
              deviceId: metadata.actor.deviceId,
              geo: await geoOfIp(metadata.actor.ip),
              bytes,
            },
          },
          metadata,
        ).catch((error: unknown) => {
          out.destroy();
          throw error;
        });
        out.end();
        await this.files.deleteAll(exportId);
      },
    };
  }
}
