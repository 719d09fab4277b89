import { expectEventually, waitForCheckpoint } from './eventually';
import { uniqueName, uniqueTopicPrefix } from './env';

describe('expectEventually', () => {
  it('returns once the assertion passes', async () => {
    let calls = 0;
    const value = await expectEventually(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return 'done';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('fails with the last error when time runs out', async () => {
    await expect(
      expectEventually(
        () => {
          throw new Error('still failing');
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow('still failing');
  });
});

describe('waitForCheckpoint', () => {
  it('waits until the checkpoint has reached the target in log order', async () => {
    let position = 0;
    const relay = { checkpoint: async () => ({ transactionId: '10', globalPosition: (position += 1) }) };
    await waitForCheckpoint(relay, { transactionId: '10', globalPosition: 3 }, 1000);
    expect(position).toBeGreaterThanOrEqual(3);
  });

  it('orders by transaction id first: a higher position under a lower transaction id comes earlier', async () => {
    const relay = { checkpoint: async () => ({ transactionId: '9', globalPosition: 30 }) };
    await expect(waitForCheckpoint(relay, { transactionId: '10', globalPosition: 29 }, 100)).rejects.toThrow(
      'relay checkpoint at (9, 30), waiting for (10, 29)',
    );
    await waitForCheckpoint({ checkpoint: async () => ({ transactionId: '11', globalPosition: 1 }) }, { transactionId: '10', globalPosition: 29 }, 100);
  });
});

describe('unique names', () => {
  it('differ between calls and are valid schema and topic names', () => {
    const a = uniqueName('t_suite');
    const b = uniqueName('t_suite');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(uniqueTopicPrefix('suite')).toMatch(/^[a-z0-9.-]+\.$/);
  });
});
