import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Where an export's files live: `<dir>/<exportId>.<attempt>.part` while written, `.wex` once complete. */
export class ExportFiles {
  constructor(readonly dir: string) {}

  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  partPath(exportId: string, attempt: number): string {
    return join(this.dir, `${exportId}.${attempt}.part`);
  }

  finalPath(exportId: string, attempt: number): string {
    return join(this.dir, `${exportId}.${attempt}.wex`);
  }

  /** Deletes every file of the export (all attempts, finished or not). */
  async deleteAll(exportId: string): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith(`${exportId}.`)).map((name) => rm(join(this.dir, name), { force: true })));
  }

  /** Deletes the files of one attempt only (what a worker that lost its generation may clean up). */
  async deleteAttempt(exportId: string, attempt: number): Promise<void> {
    await Promise.all([this.partPath(exportId, attempt), this.finalPath(exportId, attempt)].map((path) => rm(path, { force: true })));
  }

  /** Deletes the files of earlier attempts (a half file of a crashed generation). */
  async deleteAttemptsBefore(exportId: string, attempt: number): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const stale = names.filter((name) => {
      const match = /^(.+)\.(\d+)\.(part|wex)$/.exec(name);
      return match !== null && match[1] === exportId && Number(match[2]) < attempt;
    });
    await Promise.all(stale.map((name) => rm(join(this.dir, name), { force: true })));
  }
}
