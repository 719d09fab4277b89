import { ServiceUnavailableError } from '@warden/platform';
import type { ServiceTokenClient } from '@warden/security';

export type ServiceCall = {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Statuses answered with `null` instead of an error (e.g. 404 for a lookup). */
  nullOn?: readonly number[];
  /** Error codes (the `code` of a 4xx answer's body) answered with `null` too, e.g. `USER_OFFBOARDED`. */
  nullOnCodes?: readonly string[];
};

/**
 * One call to another Warden service as `system:offboarding`: bearer service token (renewed once
 * on a 401), JSON in and out, a timeout. Anything but 2xx (or a status of `nullOn`) is a
 * `ServiceUnavailableError` naming the service, the route and the status, never a body or token.
 */
export async function callService<T>(
  service: string,
  baseUrl: string,
  tokens: ServiceTokenClient,
  call: ServiceCall,
  timeoutMs: number,
): Promise<T | null> {
  for (let attempt = 1; ; attempt += 1) {
    const token = await tokens.token();
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${call.path}`, {
        method: call.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ServiceUnavailableError(`${service} did not answer ${call.method} ${routeOf(call.path)} (${(error as Error).name})`);
    }
    if (res.status === 401 && attempt === 1) {
      await res.body?.cancel();
      tokens.invalidate();
      continue;
    }
    if (call.nullOn?.includes(res.status)) {
      await res.body?.cancel();
      return null;
    }
    if (res.status < 200 || res.status >= 300) {
      if (call.nullOnCodes && res.status >= 400 && res.status < 500) {
        if (call.nullOnCodes.includes(await errorCodeOf(res))) return null;
      } else {
        await res.body?.cancel();
      }
      throw new ServiceUnavailableError(`${service} answered ${res.status} to ${call.method} ${routeOf(call.path)}`);
    }
    return (await res.json()) as T;
  }
}

/** The `code` of an error answer's JSON body ('' when there is none); the body is consumed. */
async function errorCodeOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { code?: unknown } | null;
    return typeof body?.code === 'string' ? body.code : '';
  } catch {
    return '';
  }
}

/** The route without its query string (which may carry ids only, but stays out of messages anyway). */
const routeOf = (path: string): string => path.split('?')[0];
