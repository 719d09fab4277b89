// `npm run build`: the services compiled ahead of time to CommonJS JavaScript, run with plain
// `node dist/apps/<app>/src/main.js` (no TypeScript compiler at run time).
//
//   npm run build                              every app and lib into dist/
//   npm run build -- --out /tmp/warden-dist    elsewhere (a node_modules link to the repository's is made)
//   npm run build -- --app exports --app gateway    only these apps (the libraries always)
//   npm run build -- --no-source-maps          without the .js.map files
//
// What is compiled: every app with apps/<app>/src/main.ts (not the Vite console, which has its own
// `npm run console:build`) and every library under libs/<lib>/src except test support (a project
// tagged `type:testing`), without tests (*.spec.ts, *.int-spec.ts, *.e2e-spec.ts) and without
// `test/` helper directories. Other files beside the sources (json, ...) are copied; type
// declarations (*.d.ts) are not. The options are those @swc-node/register uses at run time:
// tsconfig.base.json, read with its readDefaultTsConfig and turned into swc options with its
// tsCompilerOptionsToSwcConfig, so `@warden/*` imports become relative paths. swc does not check
// types: that remains `npm run typecheck`.
//
// Layout of <out>: apps/<app>/src/main.js (and every other module), apps/<app>/node.flags (the
// app's Node options, when it has them), libs/<lib>/src/..., source maps as <file>.js.map beside
// each file (used with `node --enable-source-maps`), apps/console/dist linked to the console's
// build (the gateway serves it from there, as from the sources), and build-info.json (what was
// built, and whether the build finished). A build replaces the apps and libs of an earlier one in
// the same directory, and never writes into a non-empty directory that holds no earlier build.
// After compiling, every relative require of the output must resolve inside the output: an import
// of a test file, a test/ directory or a left-out library fails the build, naming the importer.
//
// Also a module: `buildApps({ out, apps })` (types in build.d.mts), used by `npm start -- --built`,
// the benchmarks and the tests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `npm run build` writes unless told otherwise. */
export const DEFAULT_OUT = join(ROOT, 'dist');
/**
 * Marks a directory this tool may write into again: written first (`finished: false`), and again
 * with what was built once the build succeeded.
 */
const INFO_FILE = 'build-info.json';

const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.tsx?$/;
const COMPILED = /\.tsx?$/;
const DECLARATION = /\.d\.[cm]?ts$/;
const SKIPPED_DIRS = new Set(['test', 'node_modules', '__snapshots__']);

/** An error of the build: its message names the file, and the CLI prints it without a stack. */
export class BuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BuildError';
  }
}

/** Every app with `apps/<app>/src/main.ts`, sorted. */
export function discoverBuildableApps() {
  const dir = join(ROOT, 'apps');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'src', 'main.ts')))
    .sort();
}

/** Every library with `libs/<lib>/src`, except test support (project tagged `type:testing`), sorted. */
export function discoverBuildableLibs() {
  const dir = join(ROOT, 'libs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'src')))
    .filter((name) => {
      const project = join(dir, name, 'project.json');
      if (!existsSync(project)) return true;
      const tags = JSON.parse(readFileSync(project, 'utf8')).tags ?? [];
      return !tags.includes('type:testing');
    })
    .sort();
}

/** The compiled entry point of an app in a build directory. */
export function builtEntry(app, out = DEFAULT_OUT) {
  return join(resolve(out), 'apps', app, 'src', 'main.js');
}

/** Whether `path` lies under the repository's root. */
const underRoot = (path) => !relative(ROOT, path).startsWith('..');

/**
 * How a file in `fromDir` of the output refers to `target` in the repository: relatively within
 * the root (so that the root can move, e.g. into an image), absolutely from a build elsewhere.
 */
const referTo = (fromDir, target) =>
  underRoot(fromDir) ? relative(fromDir, target).split(sep).join('/') : target;

/** The swc compiler and options of @swc-node/register, from the repository's node_modules. */
function loadCompiler() {
  const require = createRequire(join(ROOT, 'package.json'));
  const {
    readDefaultTsConfig,
    tsCompilerOptionsToSwcConfig,
  } = require('@swc-node/register/read-default-tsconfig');
  // @swc-node/core is what @swc-node/register compiles with; resolved from where register is.
  const { transform } = createRequire(require.resolve('@swc-node/register/register'))('@swc-node/core');
  const ts = require('typescript');
  // As @swc-node/register's register(): the project's options, always CommonJS.
  const tsOptions = {
    ...readDefaultTsConfig(join(ROOT, 'tsconfig.base.json')),
    module: ts.ModuleKind.CommonJS,
  };
  return { transform, tsOptions, tsCompilerOptionsToSwcConfig };
}

/** The files of one source tree, relative to ROOT: `compile` (TypeScript) and `copy` (the rest). */
async function collect(tree) {
  const compile = [];
  const copy = [];
  const walk = async (relativeDir) => {
    const entries = await readdir(join(ROOT, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const path = join(relativeDir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(path);
      } else if (entry.isFile()) {
        if (TEST_FILE.test(entry.name) || DECLARATION.test(entry.name)) continue;
        (COMPILED.test(entry.name) ? compile : copy).push(path);
      }
    }
  };
  await walk(tree);
  return { compile, copy };
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function eachLimited(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Compiles one file into `out`; with source maps, writes `<file>.js.map` (sources relative to it,
 * with their content) and links it from the code.
 */
async function compileFile(compiler, path, out, sourceMaps) {
  const source = await readFile(join(ROOT, path), 'utf8');
  const swcOptions = compiler.tsCompilerOptionsToSwcConfig(
    { ...compiler.tsOptions, sourceMap: sourceMaps, inlineSourceMap: false },
    join(ROOT, path),
  );
  let result;
  try {
    result = await compiler.transform(source, join(ROOT, path), swcOptions);
  } catch (error) {
    throw new BuildError(`${path}: ${String(error?.message ?? error).trim()}`);
  }
  const target = join(out, path.replace(COMPILED, '.js'));
  await mkdir(dirname(target), { recursive: true });
  let code = result.code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  if (sourceMaps && result.map) {
    const map = JSON.parse(result.map);
    map.file = basename(target);
    map.sources = [referTo(dirname(target), join(ROOT, path))];
    await writeFile(`${target}.map`, JSON.stringify(map));
    code = `${code.trimEnd()}\n//# sourceMappingURL=${basename(target)}.map\n`;
  }
  await writeFile(target, code);
  return target;
}

/**
 * Relative requires of the compiled files that resolve to nothing in the output (a test file or
 * directory, a left-out library, a path alias left as it was), as `importer: 'specifier'` lines.
 */
function unresolvedRequires(out, written) {
  const problems = [];
  for (const file of written) {
    const code = readFileSync(file, 'utf8');
    for (const [, specifier] of code.matchAll(/\brequire\((?:"|')([^"']+)(?:"|')\)/g)) {
      const importer = relative(out, file);
      if (specifier.startsWith('@warden/')) {
        problems.push(`${importer}: '${specifier}' (a path alias left as it was)`);
        continue;
      }
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const base = resolve(dirname(file), specifier);
      const candidates = [base, `${base}.js`, `${base}.json`, join(base, 'index.js')];
      if (!candidates.some((candidate) => existsSync(candidate) && statSync(candidate).isFile())) {
        const inOut = relative(out, base);
        problems.push(
          `${importer}: '${specifier}' (${inOut.startsWith('..') ? base : inOut} is not part of the build)`,
        );
      }
    }
  }
  return problems;
}

/** Throws unless `out` is new, empty or a previous build, and lies outside the sources. */
function checkOut(out) {
  const fromOut = relative(out, ROOT);
  if (out === ROOT || (!fromOut.startsWith('..') && !fromOut.startsWith(sep))) {
    throw new BuildError(`--out ${out} is the repository or holds it; choose a directory of its own`);
  }
  for (const tree of ['apps', 'libs', 'node_modules']) {
    const inside = relative(join(ROOT, tree), out);
    if (!inside.startsWith('..'))
      throw new BuildError(`--out ${out} lies inside ${tree}/; choose another directory`);
  }
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new BuildError(`--out ${out} exists and is not a directory`);
  const entries = readdirSync(out).filter((name) => name !== 'node_modules');
  if (entries.length > 0 && !entries.includes(INFO_FILE)) {
    throw new BuildError(
      `--out ${out} is not empty and holds no earlier build (${INFO_FILE}); choose a new or empty directory`,
    );
  }
}

/**
 * Compiles the apps (default: every one with apps/<app>/src/main.ts) and every library into
 * `out` (default: dist/ at the root). Resolves with what was built and how long it took; rejects
 * with a BuildError naming the file on a compile error or an import the build does not contain.
 *
 * @param {import('./build.d.mts').BuildOptions} [options]
 * @returns {Promise<import('./build.d.mts').BuildResult>}
 */
export async function buildApps({ out = DEFAULT_OUT, apps, sourceMaps = true, log = () => undefined } = {}) {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const outDir = resolve(out);
  const known = discoverBuildableApps();
  const chosen = apps === undefined ? known : [...new Set(apps)];
  const unknown = chosen.filter((app) => !known.includes(app));
  if (unknown.length > 0) {
    throw new BuildError(
      `unknown app(s): ${unknown.join(', ')} (apps with apps/<app>/src/main.ts: ${known.join(', ') || 'none'})`,
    );
  }
  if (chosen.length === 0) throw new BuildError('no apps to build (expected apps/<app>/src/main.ts)');
  const libs = discoverBuildableLibs();
  checkOut(outDir);

  // A build in progress or failed is not a build that can be run.
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, INFO_FILE), `${JSON.stringify({ finished: false, startedAt })}\n`);
  // The output holds this build only: apps of an earlier one would run against these libraries.
  for (const tree of ['apps', 'libs']) await rm(join(outDir, tree), { recursive: true, force: true });
  const trees = [...chosen.map((app) => `apps/${app}/src`), ...libs.map((lib) => `libs/${lib}/src`)];

  const compiler = loadCompiler();
  const files = { compile: [], copy: [] };
  for (const tree of trees) {
    const found = await collect(tree);
    files.compile.push(...found.compile);
    files.copy.push(...found.copy);
  }
  const written = [];
  const errors = [];
  await eachLimited(files.compile, Math.max(2, availableParallelism() * 2), async (path) => {
    try {
      written.push(await compileFile(compiler, path, outDir, sourceMaps));
    } catch (error) {
      if (!(error instanceof BuildError)) throw error;
      errors.push(error.message);
    }
  });
  if (errors.length > 0) {
    throw new BuildError(
      `${errors.length} file(s) did not compile:\n${errors
        .sort()
        .map((message) => `  ${message}`)
        .join('\n')}`,
    );
  }
  for (const path of files.copy) {
    await mkdir(dirname(join(outDir, path)), { recursive: true });
    await copyFile(join(ROOT, path), join(outDir, path));
  }
  for (const app of chosen) {
    const flags = join(ROOT, 'apps', app, 'node.flags');
    if (existsSync(flags)) await copyFile(flags, join(outDir, 'apps', app, 'node.flags'));
  }

  const problems = unresolvedRequires(outDir, written);
  if (problems.length > 0) {
    throw new BuildError(
      `${problems.length} import(s) of the compiled code lead outside the build (production code must not ` +
        `import tests, test/ helpers or test support):\n${problems.map((line) => `  ${line}`).join('\n')}`,
    );
  }

  // The gateway serves the console from apps/console/dist beside its own apps/gateway (the default
  // of its CONSOLE_DIST_DIR); in the build that is a link to the console's build in the sources.
  if (chosen.includes('gateway')) {
    const link = join(outDir, 'apps', 'console', 'dist');
    await mkdir(dirname(link), { recursive: true });
    await symlink(referTo(dirname(link), join(ROOT, 'apps', 'console', 'dist')), link, 'dir');
  }
  // Packages resolve from the repository's node_modules: up the tree for a build under the root,
  // through a link for one elsewhere.
  const modules = join(outDir, 'node_modules');
  if (!underRoot(outDir) && !existsSync(modules)) await symlink(join(ROOT, 'node_modules'), modules, 'dir');

  const seconds = (performance.now() - t0) / 1000;
  const result = {
    out: outDir,
    apps: chosen,
    libs,
    compiled: written.length,
    copied: files.copy.length,
    sourceMaps,
    seconds,
  };
  await writeFile(
    join(outDir, INFO_FILE),
    `${JSON.stringify({ finished: true, startedAt, finishedAt: new Date().toISOString(), apps: chosen, libs, compiled: written.length, copied: files.copy.length, sourceMaps }, null, 2)}\n`,
  );
  log(
    `compiled ${written.length} files and copied ${files.copy.length} into ${shown(outDir)} ` +
      `in ${seconds.toFixed(1)} s (apps: ${chosen.join(', ')}; libs: ${libs.join(', ')})`,
  );
  return result;
}

/** A path as printed: relative to the working directory when under it, else absolute. */
const shown = (path) => {
  const fromCwd = relative(process.cwd(), path);
  return fromCwd === '' ? '.' : fromCwd.startsWith('..') ? path : fromCwd;
};

/** The newest modification time (ms) under `path` (a file or a directory tree), 0 if missing. */
function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) continue;
    newest = Math.max(newest, newestChange(join(path, entry.name)));
  }
  return newest;
}

/**
 * Why the build in `out` cannot be used for `apps` (missing, unfinished, without one of the apps,
 * older than a source, tsconfig.base.json or node.flags), or null when it is current.
 */
export function buildStaleness(out = DEFAULT_OUT, apps = discoverBuildableApps()) {
  const file = join(resolve(out), INFO_FILE);
  if (!existsSync(file)) return `no finished build in ${out}`;
  const info = JSON.parse(readFileSync(file, 'utf8'));
  if (!info.finished) return `the build in ${out} did not finish`;
  const missing = apps.filter((app) => !info.apps.includes(app) || !existsSync(builtEntry(app, out)));
  if (missing.length > 0) return `the build in ${out} lacks ${missing.join(', ')}`;
  const libs = discoverBuildableLibs();
  if (libs.some((lib) => !info.libs.includes(lib))) return `the build in ${out} lacks a library`;
  // Sources were read after the build started: a change since then is not in it.
  const builtAt = Date.parse(info.startedAt);
  const sources = [
    join(ROOT, 'tsconfig.base.json'),
    ...apps.flatMap((app) => [join(ROOT, 'apps', app, 'src'), join(ROOT, 'apps', app, 'node.flags')]),
    ...libs.map((lib) => join(ROOT, 'libs', lib, 'src')),
  ];
  const changed = sources.find((path) => newestChange(path) > builtAt);
  return changed ? `${relative(ROOT, changed)} changed after the build in ${out}` : null;
}

/** `--out <dir>`, `--app <name>` (repeatable), `--no-source-maps`. */
function parseArgs(argv) {
  const options = { apps: undefined, out: DEFAULT_OUT, sourceMaps: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new BuildError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--out') options.out = resolve(value());
    else if (arg.startsWith('--out=')) options.out = resolve(arg.slice('--out='.length));
    else if (arg === '--app') (options.apps ??= []).push(value());
    else if (arg.startsWith('--app=')) (options.apps ??= []).push(arg.slice('--app='.length));
    else if (arg === '--no-source-maps') options.sourceMaps = false;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else
      throw new BuildError(`unknown argument ${arg} (expected --out <dir>, --app <name>, --no-source-maps)`);
  }
  return options;
}

/** The command line: builds, prints what it did, exits 1 with the reason when it cannot. */
async function main(argv) {
  const say = (line) => process.stderr.write(`build: ${line}\n`);
  try {
    const options = parseArgs(argv);
    if (options.help) {
      process.stdout.write(
        'usage: npm run build [-- --out <dir>] [--app <name> ...] [--no-source-maps]\n' +
          'Compiles apps/<app>/src (with main.ts) and libs/<lib>/src to JavaScript in <dir> (default dist/);\n' +
          'run an app with: node $(grep -v "^#" <dir>/apps/<app>/node.flags) <dir>/apps/<app>/src/main.js\n',
      );
      return;
    }
    const result = await buildApps({ ...options, log: say });
    for (const app of result.apps) say(`  node ${shown(builtEntry(app, result.out))}`);
  } catch (error) {
    say(`error: ${error instanceof BuildError ? error.message : (error?.stack ?? error)}`);
    process.exitCode = 1;
  }
}

// No top-level await: CommonJS code (the benchmarks) loads this module with require().
if (import.meta.main) void main(process.argv.slice(2));
