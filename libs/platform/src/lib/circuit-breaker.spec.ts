import { once } from 'node:events';
import type CircuitBreaker from 'opossum';
import { createBreaker, type BreakerOptions } from './circuit-breaker';
import { ServiceUnavailableError } from './errors';

describe('createBreaker', () => {
  const breakers: CircuitBreaker[] = [];

  /** A breaker around `call` with small, test-sized timings; shut down after each test. */
  function breakerAround<A extends unknown[], R>(
    call: (...args: A) => Promise<R>,
    options: Partial<BreakerOptions> = {},
  ) {
    const created = createBreaker(call, {
      name: 'authorization.policy',
      timeout: 50,
      resetTimeout: 200,
      volumeThreshold: 3,
      errorThresholdPercentage: 50,
      ...options,
    });
    breakers.push(created.breaker as unknown as CircuitBreaker);
    return created;
  }

  afterEach(() => {
    for (const breaker of breakers.splice(0)) breaker.shutdown();
  });

  const refused = () => new Error('connect ECONNREFUSED 127.0.0.1:3200');

  describe('while the other side answers', () => {
    it('returns its answer, passing the arguments through', async () => {
      const call = jest.fn(async (customerId: string, field: string) => `${customerId}:${field}`);
      const { fire, breaker } = breakerAround(call);

      await expect(fire('c-1', 'email')).resolves.toBe('c-1:email');
      expect(call).toHaveBeenCalledWith('c-1', 'email');
      expect(breaker.closed).toBe(true);
    });

    it('passes an occasional failure through unchanged, circuit still closed', async () => {
      const error = refused();
      const { fire, breaker } = breakerAround(jest.fn().mockRejectedValue(error));

      await expect(fire()).rejects.toBe(error);
      expect(breaker.closed).toBe(true);
    });
  });

  describe('after repeated failures', () => {
    async function openedBreaker() {
      const call = jest.fn<Promise<string>, []>().mockRejectedValue(refused());
      const created = breakerAround(call);
      await expect(created.fire()).rejects.toThrow('ECONNREFUSED');
      await expect(created.fire()).rejects.toThrow('ECONNREFUSED');
      await expect(created.fire()).rejects.toThrow(ServiceUnavailableError);
      return { ...created, call };
    }

    it('opens the circuit', async () => {
      const { breaker } = await openedBreaker();
      expect(breaker.opened).toBe(true);
    });

    it('fails fast with a 503 ServiceUnavailableError without calling the other side', async () => {
      const { fire, call } = await openedBreaker();
      call.mockClear();

      const attempt = fire();

      await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: 'authorization.policy is unavailable (circuit open); try again shortly',
      });
      expect(call).not.toHaveBeenCalled();
    });

    it('lets a trial call through after the reset timeout and closes again when it succeeds', async () => {
      const { fire, breaker, call } = await openedBreaker();
      await once(breaker, 'halfOpen');
      call.mockResolvedValueOnce('allowed');

      await expect(fire()).resolves.toBe('allowed');
      expect(breaker.closed).toBe(true);
    });

    it('opens again at once when the trial call fails', async () => {
      const { fire, breaker, call } = await openedBreaker();
      await once(breaker, 'halfOpen');
      call.mockClear();

      await expect(fire()).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(call).toHaveBeenCalledTimes(1);
      expect(breaker.opened).toBe(true);
      await expect(fire()).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(call).toHaveBeenCalledTimes(1);
    });
  });

  describe('when the other side does not answer in time', () => {
    it('fails with a 503 ServiceUnavailableError naming the timeout', async () => {
      const never = () => new Promise<string>(() => undefined);
      const { fire, breaker } = breakerAround(never, { volumeThreshold: 10 });

      const attempt = fire();

      await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        status: 503,
        message: 'authorization.policy did not answer within 50 ms',
      });
      expect(breaker.closed).toBe(true);
    });

    it('counts timeouts as failures that open the circuit', async () => {
      const call = jest.fn(() => new Promise<string>(() => undefined));
      const { fire, breaker } = breakerAround(call);

      for (let i = 0; i < 3; i += 1) await expect(fire()).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(breaker.opened).toBe(true);
      call.mockClear();
      await expect(fire()).rejects.toThrow('circuit open');
      expect(call).not.toHaveBeenCalled();
    });
  });
});
