import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { connectTestSchema } from './database';
import { testEnv, uniqueName, uniqueTopicPrefix } from './env';
import { appNodeFlags, freePort, launchApp, type LaunchedApp } from './launcher';

const root = resolve(__dirname, '../../../..');

type BuildInfo = { apps: string[]; libs: string[]; compiled: number; copied: number; sourceMaps: boolean };

/**
 * `npm run build` (node tools/build/build.mjs) with `args`, from the repository or from a copy of
 * the build script under `scriptRoot`. The build is an ES module: Jest's module system would not load it.
 */
const runBuild = (args: string[], scriptRoot = root): Promise<{ code: number | null; output: string }> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(scriptRoot, 'tools/build/build.mjs'), ...args], {
      cwd: scriptRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });

/** What `node <args>` prints on stdout (stderr goes to the test's output). */
/** Plain output: no colours, even where the test runner forces them (FORCE_COLOR colours console.log of a number). */
const plainEnv = (): NodeJS.ProcessEnv => {
  const { FORCE_COLOR: _forced, ...env } = process.env;
  return { ...env, NO_COLOR: '1', NODE_OPTIONS: '' };
};

const nodeOutput = (args: string[]): Promise<string> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, args, {
      env: plainEnv(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', () => done(stdout));
  });

/** Every file under `base`/`dir`, relative to `base`. */
const filesUnder = async (base: string, dir: string): Promise<string[]> =>
  (await readdir(join(base, dir), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(base, join(entry.parentPath, entry.name)));

/**
 * The production build (`npm run build`, tools/build): authorization and exports compiled into a
 * directory of their own and run from it with plain Node, against real Postgres, Redis and Kafka.
 */
describe('production build', () => {
  const env = testEnv();
  const prefix = uniqueTopicPrefix('e2e-build');
  const authSchema = uniqueName('e2e_build_auth');
  const exportsSchema = uniqueName('e2e_build_exports');
  const clientSecret = randomBytes(24).toString('base64url');
  const keks = `1:${randomBytes(32).toString('base64')}`;
  let out = '';
  let exportsDir = '';
  let built: BuildInfo;
  let authorization: LaunchedApp;
  let exportsApp: LaunchedApp;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'warden-build-e2e-'));
    exportsDir = await mkdtemp(join(tmpdir(), 'warden-build-e2e-exports-'));
    const build = await runBuild([
      '--out',
      out,
      '--app',
      'authorization',
      '--app',
      'exports',
      '--app',
      'gateway',
    ]);
    if (build.code !== 0) throw new Error(`the build failed:\n${build.output}`);
    built = JSON.parse(await readFile(join(out, 'build-info.json'), 'utf8')) as BuildInfo;
    const common = {
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      WARDEN_KEKS: keks,
    };
    const authPort = await freePort();
    authorization = await launchApp('authorization', {
      port: authPort,
      build: out,
      env: {
        ...common,
        AUTHORIZATION_PORT: String(authPort),
        AUTHORIZATION_DB_SCHEMA: authSchema,
        WARDEN_ADMIN_USERNAME: uniqueName('admin'),
        WARDEN_ADMIN_PASSWORD: `admin-${randomBytes(18).toString('base64url')}`,
        WARDEN_SERVICE_CLIENTS: `exports=${clientSecret}`,
      },
      readyTimeoutMs: 120_000,
    });
    const exportsPort = await freePort();
    exportsApp = await launchApp('exports', {
      port: exportsPort,
      build: out,
      env: {
        ...common,
        EXPORTS_PORT: String(exportsPort),
        EXPORTS_DB_SCHEMA: exportsSchema,
        AUTH_JWKS_URL: `${authorization.url}/.well-known/jwks.json`,
        AUTHORIZATION_URL: authorization.url,
        // Not running: no call in this suite reaches customer-records.
        CUSTOMER_RECORDS_URL: `http://127.0.0.1:${await freePort()}`,
        SERVICE_CLIENT_ID: 'exports',
        SERVICE_CLIENT_SECRET: clientSecret,
        EXPORTS_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
        EXPORTS_DIR: exportsDir,
      },
      readyTimeoutMs: 120_000,
    });
  });

  afterAll(async () => {
    await exportsApp?.stop();
    await authorization?.stop();
    const db = await connectTestSchema(authSchema, 'e2e-build-cleanup');
    for (const schema of [authSchema, exportsSchema])
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.destroy();
    for (const dir of [out, exportsDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('the build directory', () => {
    it('holds each app compiled to JavaScript, with its source map and node.flags', async () => {
      expect(built.apps).toEqual(['authorization', 'exports', 'gateway']);
      for (const app of built.apps) {
        const main = join(out, 'apps', app, 'src', 'main.js');
        expect(existsSync(main)).toBe(true);
        expect(await readFile(main, 'utf8')).toMatch(/\n\/\/# sourceMappingURL=main\.js\.map\n$/);
        const map = JSON.parse(await readFile(`${main}.map`, 'utf8')) as {
          sources: string[];
          sourcesContent: string[];
        };
        expect(map.sources.map((source) => resolve(dirname(main), source))).toEqual([
          join(root, 'apps', app, 'src', 'main.ts'),
        ]);
        expect(map.sourcesContent[0]).toBe(await readFile(join(root, 'apps', app, 'src', 'main.ts'), 'utf8'));
      }
      expect((await readFile(join(out, 'apps/exports/node.flags'), 'utf8')).trim()).toMatch(
        /^--max-semi-space-size=16$/m,
      );
    });

    it("links apps/console/dist to the console's build, where the compiled gateway looks for it", async () => {
      const link = join(out, 'apps/console/dist');
      expect(resolve(dirname(link), await readlink(link))).toBe(join(root, 'apps/console/dist'));
      const config = join(out, 'apps/gateway/src/core/config.js');
      const script = `process.stdout.write(require(${JSON.stringify(config)}).loadGatewayConfig({}).CONSOLE_DIST_DIR)`;
      expect(await nodeOutput(['-e', script])).toBe(link);
    });

    it('holds no TypeScript, no tests, no test helpers, no test support library and no path alias', async () => {
      const files = [...(await filesUnder(out, 'apps')), ...(await filesUnder(out, 'libs'))];
      expect(files.length).toBeGreaterThan(100);
      expect(files.filter((file) => /\.tsx?$/.test(file))).toEqual([]);
      expect(files.filter((file) => /(spec)\.js$/.test(file) || /(^|\/)test\//.test(file))).toEqual([]);
      expect(built.libs).not.toContain('testing');
      expect(existsSync(join(out, 'libs', 'testing'))).toBe(false);
      expect(built.libs).toEqual(expect.arrayContaining(['contracts', 'platform', 'security']));
      const withAlias: string[] = [];
      for (const file of files.filter((name) => name.endsWith('.js'))) {
        if ((await readFile(join(out, file), 'utf8')).includes('require("@warden/')) withAlias.push(file);
      }
      expect(withAlias).toEqual([]);
    });
  });

  describe('authorization run from the build', () => {
    it('runs main.js with plain Node, no TypeScript compiler', () => {
      expect(authorization.process.spawnargs.slice(1)).toEqual([join(out, 'apps/authorization/src/main.js')]);
    });

    it('serves its JWKS and issues a service token that verifies against it', async () => {
      const jwksResponse = await fetch(`${authorization.url}/.well-known/jwks.json`);
      expect(jwksResponse.status).toBe(200);
      const jwks = (await jwksResponse.json()) as JSONWebKeySet;
      expect(jwks.keys.length).toBeGreaterThan(0);
      const issued = await fetch(`${authorization.url}/v1/auth/service-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'exports', clientSecret }),
      });
      expect(issued.status).toBe(200);
      const { accessToken } = (await issued.json()) as { accessToken: string };
      const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks));
      expect(payload.sub).toBe('system:exports');
    });

    it('refuses a wrong client secret (401)', async () => {
      const res = await fetch(`${authorization.url}/v1/auth/service-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'exports', clientSecret: `${clientSecret}x` }),
      });
      expect(res.status).toBe(401);
    });
  });

  describe('exports run from the build', () => {
    it("runs main.js with plain Node and the app's node.flags", () => {
      expect(exportsApp.process.spawnargs.slice(1)).toEqual([
        ...appNodeFlags('exports'),
        join(out, 'apps/exports/src/main.js'),
      ]);
      expect(appNodeFlags('exports')).toContain('--max-semi-space-size=16');
    });

    it('answers 401 without a token', async () => {
      const res = await fetch(`${exportsApp.url}/v1/exports`);
      expect(res.status).toBe(401);
    });

    it("checks tokens against the compiled authorization's keys: its service token is known, a tampered one is not", async () => {
      const issued = await fetch(`${authorization.url}/v1/auth/service-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'exports', clientSecret }),
      });
      const { accessToken } = (await issued.json()) as { accessToken: string };
      const asService = await fetch(`${exportsApp.url}/v1/exports`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      // Authenticated as the exports service, which may not list exports: 403, not 401.
      expect({ status: asService.status, body: await asService.json() }).toEqual({
        status: 403,
        body: expect.objectContaining({
          code: 'FORBIDDEN',
          message: 'this endpoint is not open to the service exports',
        }),
      });
      const tampered = await fetch(`${exportsApp.url}/v1/exports`, {
        headers: { authorization: `Bearer ${accessToken}x` },
      });
      expect(tampered.status).toBe(401);
    });
  });
});

/** The build's refusals, on a small repository of its own (the build script, tsconfig.base.json, node_modules linked). */
describe('production build of code that cannot be trusted', () => {
  let fixture = '';

  beforeAll(async () => {
    fixture = await mkdtemp(join(tmpdir(), 'warden-build-fixture-'));
    await mkdir(join(fixture, 'tools/build'), { recursive: true });
    await copyFile(join(root, 'tools/build/build.mjs'), join(fixture, 'tools/build/build.mjs'));
    await copyFile(join(root, 'tsconfig.base.json'), join(fixture, 'tsconfig.base.json'));
    await symlink(join(root, 'node_modules'), join(fixture, 'node_modules'), 'dir');
    const files: Record<string, string> = {
      'apps/broken/src/main.ts': "import { ok } from './ok';\nexport const broken = (ok +;\n",
      'apps/broken/src/ok.ts': 'export const ok = 1;\n',
      'apps/leaky/src/main.ts': "import { helper } from './test/helper';\nconsole.log(helper());\n",
      'apps/leaky/src/test/helper.ts': "export const helper = () => 'test only';\n",
      'apps/clean/src/main.ts': "import { ok } from './ok';\nconsole.log(ok);\n",
      'apps/clean/src/ok.ts': 'export const ok = 1;\n',
      'notes/readme.txt': 'not a build\n',
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(fixture, path)), { recursive: true });
      await writeFile(join(fixture, path), text);
    }
  });

  afterAll(async () => {
    if (fixture) await rm(fixture, { recursive: true, force: true });
  });

  it('fails on a compile error, naming the file', async () => {
    const { code, output } = await runBuild(['--app', 'broken'], fixture);
    expect(code).toBe(1);
    expect(output).toContain('build: error: 1 file(s) did not compile:');
    expect(output).toContain('apps/broken/src/main.ts:');
    expect(JSON.parse(await readFile(join(fixture, 'dist/build-info.json'), 'utf8'))).toMatchObject({
      finished: false,
    });
  });

  it('fails when production code imports a test/ helper, which the build leaves out, naming the importer', async () => {
    const { code, output } = await runBuild(['--app', 'leaky'], fixture);
    expect(code).toBe(1);
    expect(output).toMatch(/apps\/leaky\/src\/main\.js: '\.\/test\/helper'/);
  });

  it('never writes into a directory that holds something else than a build', async () => {
    const { code, output } = await runBuild(['--app', 'clean', '--out', join(fixture, 'notes')], fixture);
    expect(code).toBe(1);
    expect(output).toContain('is not empty and holds no earlier build');
    expect(await readdir(join(fixture, 'notes'))).toEqual(['readme.txt']);
  });

  it('builds a sound app, which then runs with plain Node', async () => {
    const { code, output } = await runBuild(['--app', 'clean'], fixture);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('compiled 2 files') });
    expect(await nodeOutput([join(fixture, 'dist/apps/clean/src/main.js')])).toBe('1\n');
  });
});
