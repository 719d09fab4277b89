// The services of the stack: which apps exist, their ports, and how one is run (from source, or
// compiled by `npm run build`).
// Shared by start.mjs and migrate.mjs. Add a new app's default port to DEFAULT_PORTS.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Default HTTP port of every app (see docs/architecture.md); `<APP>_PORT` overrides it. */
export const DEFAULT_PORTS = {
  gateway: 3000,
  authorization: 3001,
  'customer-records': 3002,
  exports: 3003,
  offboarding: 3004,
  'anomaly-alerting': 3005,
  audit: 3006,
};

/** `customer-records` → `CUSTOMER_RECORDS_PORT` */
export const portVariable = (app) => `${app.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PORT`;

/** Every app that has `apps/<app>/src/main.ts`, in port order. Throws for an app with no known port. */
export function discoverApps() {
  const dir = join(ROOT, 'apps');
  const names = existsSync(dir)
    ? readdirSync(dir).filter((name) => existsSync(join(dir, name, 'src', 'main.ts')))
    : [];
  const unknown = names.filter((name) => !(name in DEFAULT_PORTS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown app(s): ${unknown.join(', ')}. Give each a default port in DEFAULT_PORTS (tools/stack/apps.mjs).`,
    );
  }
  return names.sort((a, b) => DEFAULT_PORTS[a] - DEFAULT_PORTS[b]);
}

/** The port an app listens on: `<APP>_PORT` from `env`, else its default. */
export function appPort(app, env = process.env) {
  const raw = env[portVariable(app)];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[app];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${portVariable(app)}=${raw} is not a valid port`);
  }
  return port;
}

/** `<APP>_PORT` for every known app, so that apps can find each other. */
export function portEnv(env = process.env) {
  return Object.fromEntries(
    Object.keys(DEFAULT_PORTS).map((app) => [portVariable(app), String(appPort(app, env))]),
  );
}

/**
 * The Node options an app asks for in `apps/<app>/node.flags` (one per line, `#` comments), or none.
 * The test launcher (libs/testing) and the Dockerfile read the same file.
 */
export function nodeFlags(app) {
  const file = join(ROOT, 'apps', app, 'node.flags');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Command that runs a TypeScript entry point of an app from source with swc-node, on the Node
 * that runs this script (Node 24 from node_modules when started through npm), with `flags` first.
 */
export function tsCommand(file, flags = []) {
  return {
    command: process.execPath,
    args: [...flags, '-r', '@swc-node/register', file],
    env: { SWC_NODE_PROJECT: 'tsconfig.base.json' },
  };
}

/**
 * Command that runs a compiled entry point (`npm run build`, tools/build) with plain Node: the Node
 * that runs this script, `flags` first, no TypeScript compiler.
 */
export function jsCommand(file, flags = []) {
  return { command: process.execPath, args: [...flags, file], env: {} };
}

/** PATH with node_modules/.bin and this Node's directory first, so children never pick another Node. */
export function childPath(env = process.env) {
  return [join(ROOT, 'node_modules', '.bin'), dirname(process.execPath), env.PATH ?? ''].join(':');
}
