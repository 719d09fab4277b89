/** How a failing saga step is tried again: exponential back-off with a ceiling, then a person. */
export type RetryPolicy = {
  /** Delay after the first failure (ms). */
  initialDelayMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** The delay never exceeds this (ms). */
  maxDelayMs: number;
  /** After this many failed attempts of one step the case needs attention. */
  maxAttempts: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, maxAttempts: 5 };

/**
 * Pure: how long to wait after the `attempt`-th failure (1-based) before trying again. `jitter` in
 * [0, 1) (the caller's random draw) spreads retries of many cases by up to 20 % of the delay.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, jitter = 0): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`attempt must be a positive integer, got ${attempt}`);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  const spread = Math.min(Math.max(jitter, 0), 0.999_999) * 0.2 * base;
  return Math.round(Math.min(policy.maxDelayMs, base + spread));
}

/** Pure: when the next attempt is due, given the failure time. */
export function nextAttemptAt(policy: RetryPolicy, attempt: number, failedAt: Date, jitter = 0): Date {
  return new Date(failedAt.getTime() + backoffDelayMs(policy, attempt, jitter));
}
