import { existsSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appNodeFlags, claimPort, freePort } from './launcher';

describe('appNodeFlags', () => {
  it("reads an app's Node options from apps/<app>/node.flags, comments and blank lines left out", () => {
    expect(appNodeFlags('exports')).toEqual(['--max-semi-space-size=16', '--max-old-space-size=192']);
  });

  it('is empty for an app without the file', () => {
    expect(appNodeFlags('audit')).toEqual([]);
  });
});

describe('freePort', () => {
  it('hands a port to one test process only, until its claim is old', () => {
    // Port 1 is never handed out by the system: its claim file belongs to this test alone.
    const file = join(tmpdir(), 'warden-test-ports', '1');
    rmSync(file, { force: true });
    try {
      expect(claimPort(1)).toBe(true);
      expect(existsSync(file)).toBe(true);
      expect(claimPort(1)).toBe(false);
      const hourAgo = new Date(Date.now() - 3600_000);
      utimesSync(file, hourAgo, hourAgo);
      expect(claimPort(1)).toBe(true);
      expect(claimPort(1)).toBe(false);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('never answers the same port twice, even asked many times at once', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
  });
});
