import { ServiceUnavailableError } from '@warden/platform';
import type { ServiceTokenClient } from '@warden/security';
import { callService, type ServiceCall } from './service-http.util';

const tokens = { token: async () => 'service-token', invalidate: () => undefined } as unknown as ServiceTokenClient;
const realFetch = globalThis.fetch;

/** The other service answers `status` with `body` (JSON when an object). */
function answers(status: number, body: unknown): void {
  globalThis.fetch = async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const cancelDeparture: ServiceCall = {
  method: 'POST',
  path: '/v1/users/u-1/departing/cancel',
  body: { reason: 'offboarding:c-1 cancelled' },
  nullOn: [404],
  nullOnCodes: ['USER_OFFBOARDED'],
};
const call = (c: ServiceCall = cancelDeparture) => callService('authorization', 'http://authorization.test', tokens, c, 1000);

describe('callService', () => {
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('returns the JSON of a 2xx answer', async () => {
    answers(200, { status: 'active', departingEffectiveAt: null });
    await expect(call()).resolves.toEqual({ status: 'active', departingEffectiveAt: null });
  });

  it('answers null for a status of nullOn and for a 4xx whose code is in nullOnCodes', async () => {
    answers(404, { code: 'USER_NOT_FOUND' });
    await expect(call()).resolves.toBeNull();
    answers(409, { code: 'USER_OFFBOARDED', message: 'user u-1 is offboarded' });
    await expect(call()).resolves.toBeNull();
  });

  it('fails with 503 for any other error answer, naming the route and status but not the body', async () => {
    for (const [status, body] of [
      [409, { code: 'STREAM_VERSION_CONFLICT', message: 'stream user-u-1 is at version 4' }],
      [409, 'not json'],
      [400, { code: 'VALIDATION_FAILED', message: 'secret-ish detail' }],
      [503, { code: 'USER_OFFBOARDED' }],
    ] as const) {
      answers(status, body);
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as Error).message).toBe(`authorization answered ${status} to POST /v1/users/u-1/departing/cancel`);
    }
  });

  it('without nullOnCodes, a known code is still an error', async () => {
    answers(409, { code: 'USER_OFFBOARDED' });
    await expect(call({ ...cancelDeparture, nullOnCodes: undefined })).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
