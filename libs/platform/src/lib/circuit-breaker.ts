import CircuitBreaker from 'opossum';
import { ServiceUnavailableError } from './errors';

export type BreakerOptions = {
  /** Shown in errors and metrics, e.g. `authorization.policy`. */
  name: string;
  /** A call slower than this counts as a failure (ms). */
  timeout?: number;
  /** Failure percentage over the rolling window that opens the circuit. */
  errorThresholdPercentage?: number;
  /** How long the circuit stays open before a trial call (ms). */
  resetTimeout?: number;
  /** Calls in the window before the percentage is judged. */
  volumeThreshold?: number;
};

/**
 * Wraps a synchronous call to another service. While the other side fails, calls fail fast with a
 * 503 instead of piling up; a trial call after `resetTimeout` closes the circuit again.
 */
export function createBreaker<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  options: BreakerOptions,
): { fire: (...args: A) => Promise<R>; breaker: CircuitBreaker<A, R> } {
  const breaker = new CircuitBreaker<A, R>(call, {
    name: options.name,
    timeout: options.timeout ?? 3000,
    errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
    resetTimeout: options.resetTimeout ?? 10_000,
    volumeThreshold: options.volumeThreshold ?? 5,
  });
  const fire = async (...args: A): Promise<R> => {
    try {
      return await breaker.fire(...args);
    } catch (error) {
      if (breaker.opened || (error as { code?: string }).code === 'EOPENBREAKER') {
        throw new ServiceUnavailableError(`${options.name} is unavailable (circuit open); try again shortly`);
      }
      if ((error as { code?: string }).code === 'ETIMEDOUT') {
        throw new ServiceUnavailableError(`${options.name} did not answer within ${options.timeout ?? 3000} ms`);
      }
      throw error;
    }
  };
  return { fire, breaker };
}
