import { PassThrough } from 'node:stream';
import type { ExportRow } from '../fingerprint/fingerprint.util';
import { writeExportFile } from '../generation/export-file.writer';

/** The CSV text the export writer writes for `rows` (columns `id`, then `fields`), unencrypted. */
export async function csvTextOf(fields: readonly string[], rows: readonly ExportRow[]): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writeExportFile('csv', fields, (async function* () {
    yield rows;
  })(), sink);
  return Buffer.concat(chunks).toString('utf8');
}
