import { consumerLogger, startWithRetry } from './start-with-retry';

describe('startWithRetry', () => {
  it('tries fresh consumers with a growing back-off until one starts, stopping each that failed', async () => {
    const made: Array<{ started: boolean; stopped: boolean }> = [];
    const retries: number[] = [];
    const started = await startWithRetry(
      () => {
        const state = { started: false, stopped: false };
        made.push(state);
        return {
          start: async () => {
            if (made.length < 3) throw new Error('broker not reachable');
            state.started = true;
          },
          stop: async () => {
            state.stopped = true;
          },
        };
      },
      { stopped: () => false, onRetry: (_error, retryInMs) => retries.push(retryInMs), initialMs: 1, maxMs: 3 },
    );
    expect(started).not.toBeNull();
    expect(made).toEqual([
      { started: false, stopped: true },
      { started: false, stopped: true },
      { started: true, stopped: false },
    ]);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up when told to stop, without making another consumer', async () => {
    let stop = false;
    let made = 0;
    const started = await startWithRetry(
      () => {
        made += 1;
        return {
          start: async () => {
            stop = true;
            throw new Error('broker not reachable');
          },
          stop: async () => undefined,
        };
      },
      { stopped: () => stop, onRetry: () => undefined, initialMs: 1 },
    );
    expect(started).toBeNull();
    expect(made).toBe(1);
  });
});

describe('consumerLogger', () => {
  it('writes message-first lines through an object-first logger', () => {
    const lines: unknown[] = [];
    const logger = consumerLogger({
      log: (context, message) => lines.push(['log', context, message]),
      warn: (context, message) => lines.push(['warn', context, message]),
      error: (context, message) => lines.push(['error', context, message]),
    });
    logger.info('joined', { groupId: 'g' });
    logger.warn('retrying');
    logger.error('dead-lettered', { topic: 't' });
    expect(lines).toEqual([
      ['log', { groupId: 'g' }, 'joined'],
      ['warn', {}, 'retrying'],
      ['error', { topic: 't' }, 'dead-lettered'],
    ]);
  });
});
