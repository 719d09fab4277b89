import { backoffDelayMs, DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './retry-policy.util';

const policy: RetryPolicy = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, maxAttempts: 4 };

describe('Retry policy', () => {
  describe('without jitter', () => {
    it('waits the initial delay after the first failure', () => {
      expect(backoffDelayMs(policy, 1)).toBe(100);
    });

    it('doubles the delay with each further failure', () => {
      expect([2, 3, 4].map((a) => backoffDelayMs(policy, a))).toEqual([200, 400, 800]);
    });

    it('never waits longer than the ceiling', () => {
      expect(backoffDelayMs(policy, 5)).toBe(1000);
      expect(backoffDelayMs(policy, 50)).toBe(1000);
    });
  });

  describe('with jitter', () => {
    it('adds at most 20 % of the delay', () => {
      expect(backoffDelayMs(policy, 2, 0.5)).toBe(220);
      expect(backoffDelayMs(policy, 2, 0.999)).toBe(240);
      expect(backoffDelayMs(policy, 2, 0.2)).toBe(208);
    });

    it('keeps the ceiling', () => {
      expect(backoffDelayMs(policy, 9, 0.9)).toBe(1000);
    });

    it('treats a draw out of range as its nearest bound', () => {
      expect(backoffDelayMs(policy, 1, -3)).toBe(100);
      expect(backoffDelayMs(policy, 1, 7)).toBe(120);
    });
  });

  it('refuses an attempt that is not a positive integer', () => {
    expect(() => backoffDelayMs(policy, 0)).toThrow(/positive integer/);
    expect(() => backoffDelayMs(policy, 1.5)).toThrow(/positive integer/);
  });

  it('dates the next attempt from the failure', () => {
    const failedAt = new Date('2030-01-01T00:00:00.000Z');
    expect(nextAttemptAt(policy, 3, failedAt).toISOString()).toBe('2030-01-01T00:00:00.400Z');
  });

  it('defaults to 1 s doubling up to 1 min and 5 attempts', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, maxAttempts: 5 });
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 7)).toBe(60_000);
  });
});
