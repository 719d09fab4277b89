import { Logger } from '@nestjs/common';
import { PeriodicSweep } from './periodic-sweep';

describe('PeriodicSweep', () => {
  const logger = new Logger('test');
  beforeEach(() => jest.spyOn(logger, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('runs one round at a time: a call during a round joins it', async () => {
    let release: (n: number) => void = () => undefined;
    const round = jest.fn((_now: Date) => new Promise<number>((resolve) => (release = resolve)));
    const sweep = new PeriodicSweep({ name: 'x', intervalMs: 60_000, round, failed: -1, logger });
    const first = sweep.run(new Date(0));
    const second = sweep.run(new Date(1));
    release(7);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
    expect(round).toHaveBeenCalledTimes(1);
    expect(round.mock.calls[0][0]).toEqual(new Date(0));
  });

  it('logs a failed round and resolves with `failed`; the next round runs', async () => {
    const round = jest.fn().mockRejectedValueOnce(new Error('database unreachable')).mockResolvedValueOnce(3);
    const sweep = new PeriodicSweep({ name: 'x sweep', intervalMs: 60_000, round, failed: -1, logger });
    expect(await sweep.run()).toBe(-1);
    expect(logger.warn).toHaveBeenCalledWith({ err: 'database unreachable' }, 'x sweep failed; next try at the next interval');
    expect(await sweep.run()).toBe(3);
  });

  it('asks the round under way to stop and waits for it', async () => {
    let stopped = false;
    const sweep = new PeriodicSweep({
      name: 'x',
      intervalMs: 60_000,
      round: async (_now, shouldStop) => {
        while (!shouldStop()) await new Promise((r) => setTimeout(r, 5));
        stopped = true;
        return 1;
      },
      failed: 0,
      logger,
    });
    sweep.start();
    await sweep.stop();
    expect(stopped).toBe(true);
  });
});
