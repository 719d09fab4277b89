import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const CONSOLE = join(ROOT, 'apps/console');
const CACHE_PREFIX = 'warden-console-build-';
const STALE_MS = 6 * 3_600_000;

/** Builds the console into `outDir` with Vite (the same build as `npm run console:build`). */
export function buildConsole(outDir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'apps/console/vite.config.mjs',
        '--logLevel',
        'warn',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '', CONSOLE_OUT_DIR: outDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`console build failed (${code}):\n${output}`)),
    );
  });
}

/** Every source file of the console (not its build, not the tests), sorted. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (!/\.spec\.ts$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** A digest of what the build depends on: the console's sources and config, and the installed packages. */
function buildKey(): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(CONSOLE), join(ROOT, 'package-lock.json')]) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

/**
 * The built console for these sources: built once into a directory named by the digest of the
 * sources and reused by the next suite of the same run (the build is the slowest part of a stack's
 * start). A build is written aside and renamed into place, so a half-written one is never served.
 */
export async function consoleBuild(): Promise<string> {
  const dir = join(tmpdir(), `${CACHE_PREFIX}${buildKey()}`);
  if (existsSync(join(dir, 'index.html'))) return dir;
  const scratch = mkdtempSync(join(tmpdir(), 'warden-console-scratch-'));
  try {
    await buildConsole(scratch);
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another suite finished the same build first: use theirs.
      if (!existsSync(join(dir, 'index.html'))) throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  removeStaleBuilds(dir);
  return dir;
}

/** Builds of older sources, left by earlier runs, untouched for hours. */
function removeStaleBuilds(keep: string): void {
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith(CACHE_PREFIX) || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already.
    }
  }
}
