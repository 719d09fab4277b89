import { PeriodicSweep } from './periodic-sweep';

/** A sweep whose rounds the test decides. */
class TestSweep extends PeriodicSweep<number> {
  constructor(readonly rounds: (now: Date, shouldStop: () => boolean) => Promise<number>) {
    super({ name: 'TestSweep', intervalMs: 60_000, failed: -1 });
  }

  protected round(now: Date, shouldStop: () => boolean): Promise<number> {
    return this.rounds(now, shouldStop);
  }

  get log() {
    return this.logger;
  }
}

describe('PeriodicSweep', () => {
  afterEach(() => jest.restoreAllMocks());

  it('runs one round at a time: a call during a round joins it', async () => {
    let release: (n: number) => void = () => undefined;
    const rounds = jest.fn((_now: Date) => new Promise<number>((resolve) => (release = resolve)));
    const sweep = new TestSweep(rounds);
    const first = sweep.sweep(new Date(0));
    const second = sweep.sweep(new Date(1));
    release(7);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
    expect(rounds).toHaveBeenCalledTimes(1);
    expect(rounds.mock.calls[0][0]).toEqual(new Date(0));
  });

  it('logs a failed round and resolves with `failed`; the next round runs', async () => {
    const sweep = new TestSweep(jest.fn().mockRejectedValueOnce(new Error('database unreachable')).mockResolvedValueOnce(3));
    const warn = jest.spyOn(sweep.log, 'warn').mockImplementation(() => undefined);
    expect(await sweep.sweep()).toBe(-1);
    expect(warn).toHaveBeenCalledWith({ err: 'database unreachable' }, 'TestSweep: sweep failed; next try at the next interval');
    expect(await sweep.sweep()).toBe(3);
  });

  it('runs at start, then asks the round under way to stop on shutdown and waits for it', async () => {
    let stopped = false;
    const sweep = new TestSweep(async (_now, shouldStop) => {
      while (!shouldStop()) await new Promise((r) => setTimeout(r, 5));
      stopped = true;
      return 1;
    });
    sweep.onApplicationBootstrap();
    await sweep.onApplicationShutdown();
    expect(stopped).toBe(true);
  });
});
