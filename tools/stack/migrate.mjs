// `npm run migrate`: runs each app's migrations (apps/<app>/src/migrate.ts) against DATABASE_URL.
// An app without migrate.ts migrates on boot (MIGRATE_ON_BOOT, default true).
// Postgres must be reachable; `npm run infra:up` starts it if needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, childPath, discoverApps, tsCommand } from './apps.mjs';

let failed = 0;
for (const app of discoverApps()) {
  const file = `apps/${app}/src/migrate.ts`;
  if (!existsSync(join(ROOT, file))) {
    console.log(`${app}: no ${file}; it migrates on boot (MIGRATE_ON_BOOT)`);
    continue;
  }
  console.log(`${app}: running ${file}`);
  const { command, args, env } = tsCommand(file);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, PATH: childPath(), ...env },
  });
  if (result.status !== 0) {
    console.error(
      `${app}: migration failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`,
    );
    failed += 1;
  }
}
process.exit(failed > 0 ? 1 : 0);
