import { TokenStore, type KeyValueStorage } from '../auth/token-store';
import { ApiClient, buildUrl, filenameOf } from './api-client';
import { ApiError, describeError } from './api-error';

const memoryStorage = (): KeyValueStorage & { data: Map<string, string> } => {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
};

/** A JWT-shaped token (unsigned: the console never verifies, the services do). */
const jwt = (claims: Record<string, unknown>) =>
  `e30.${Buffer.from(JSON.stringify({ exp: 4_000_000_000, ...claims })).toString('base64url')}.sig`;

type Call = { url: string; init: RequestInit };
const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** A scripted fetch: answers in order and records every call. */
const scripted = (...answers: Array<Response | ((call: Call) => Response) | Error>) => {
  const calls: Call[] = [];
  const fetchFn = async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call ${url}`);
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next({ url, init }) : next;
  };
  return { calls, fetchFn };
};
const authHeader = (call: Call) => (call.init.headers as Record<string, string>).authorization;

describe('buildUrl', () => {
  it('puts the service under /api and leaves empty query values out', () => {
    expect(
      buildUrl('customer-records', '/v1/customers', {
        mobile: '+86 139',
        cursor: undefined,
        limit: 20,
        q: '',
      }),
    ).toBe('/api/customer-records/v1/customers?mobile=%2B86+139&limit=20');
    expect(buildUrl('authorization', 'v1/roles')).toBe('/api/authorization/v1/roles');
  });
});

describe('ApiClient', () => {
  const signedIn = () => {
    const tokens = new TokenStore(memoryStorage());
    tokens.set({ accessToken: jwt({ sub: 'u1' }), refreshToken: 'refresh-1' });
    return tokens;
  };

  it('sends the access token and JSON, and returns the parsed answer', async () => {
    const tokens = signedIn();
    const { calls, fetchFn } = scripted(json(201, { id: 't1' }));
    const api = new ApiClient(tokens, fetchFn);
    await expect(api.request('authorization', '/v1/teams', { body: { name: 'North' } })).resolves.toEqual({
      id: 't1',
    });
    expect(calls[0].url).toBe('/api/authorization/v1/teams');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe('{"name":"North"}');
    expect(calls[0].init.credentials).toBe('omit');
    expect(authHeader(calls[0])).toBe(`Bearer ${tokens.access}`);
  });

  it('turns an error answer into an ApiError with its code and message', async () => {
    const { fetchFn } = scripted(
      json(400, { statusCode: 400, code: 'VALIDATION_FAILED', message: 'body.name: must not be empty' }),
    );
    const error = await new ApiClient(signedIn(), fetchFn)
      .request('authorization', '/v1/teams', { body: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'body.name: must not be empty',
    });
    expect(describeError(error)).toBe('body.name: must not be empty');
  });

  it('names the service the gateway could not reach, and says so when the gateway itself is unreachable', async () => {
    const { fetchFn } = scripted(
      json(503, {
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: 'customer-records is unavailable; try again shortly',
      }),
      new TypeError('Failed to fetch'),
    );
    const api = new ApiClient(signedIn(), fetchFn);
    await expect(api.request('customer-records', '/v1/customers/x')).rejects.toThrow(
      'customer-records is unavailable',
    );
    await expect(api.request('customer-records', '/v1/customers/x')).rejects.toMatchObject({
      status: 0,
      code: 'NETWORK_ERROR',
    });
  });

  it('on a 401 refreshes once, stores the new pair and retries with the new token', async () => {
    const tokens = signedIn();
    const fresh = jwt({ sub: 'u1', username: 'ada' });
    const { calls, fetchFn } = scripted(
      json(401, { code: 'INVALID_TOKEN', message: 'expired' }),
      json(200, { accessToken: fresh, refreshToken: 'refresh-2', expiresIn: 900, tokenType: 'Bearer' }),
      json(200, [{ name: 'staff' }]),
    );
    const api = new ApiClient(tokens, fetchFn);
    await expect(api.request('authorization', '/v1/roles')).resolves.toEqual([{ name: 'staff' }]);
    expect(calls.map((c) => c.url)).toEqual([
      '/api/authorization/v1/roles',
      '/api/authorization/v1/auth/refresh',
      '/api/authorization/v1/roles',
    ]);
    expect(JSON.parse(calls[1].init.body as string)).toEqual({ refreshToken: 'refresh-1' });
    expect(authHeader(calls[1])).toBeUndefined();
    expect(authHeader(calls[2])).toBe(`Bearer ${fresh}`);
    expect(tokens.refresh).toBe('refresh-2');
    expect(tokens.claims?.username).toBe('ada');
  });

  it('shares one refresh between concurrent calls', async () => {
    const tokens = signedIn();
    const fresh = jwt({ sub: 'u1', generation: 2 });
    let refreshes = 0;
    const fetchFn = async (url: string, init: RequestInit = {}) => {
      if (url.endsWith('/auth/refresh')) {
        refreshes += 1;
        await new Promise((r) => setTimeout(r, 10));
        return json(200, { accessToken: fresh, refreshToken: 'refresh-2' });
      }
      const auth = (init.headers as Record<string, string>).authorization;
      return auth === `Bearer ${fresh}` ? json(200, { ok: true }) : json(401, { code: 'INVALID_TOKEN' });
    };
    const api = new ApiClient(tokens, fetchFn);
    await expect(
      Promise.all([api.request('authorization', '/v1/roles'), api.request('authorization', '/v1/teams')]),
    ).resolves.toEqual([{ ok: true }, { ok: true }]);
    expect(refreshes).toBe(1);
  });

  it('signs out when the refresh is refused, and does not try to refresh a revoked session', async () => {
    const signedOut: string[] = [];
    const tokens = signedIn();
    const { calls, fetchFn } = scripted(
      json(401, { code: 'INVALID_TOKEN' }),
      json(401, { code: 'REFRESH_TOKEN_INVALID' }),
    );
    const api = new ApiClient(tokens, fetchFn, (reason) => signedOut.push(reason));
    await expect(api.request('authorization', '/v1/roles')).rejects.toMatchObject({ status: 401 });
    expect(tokens.signedIn).toBe(false);
    expect(tokens.refresh).toBeNull();
    expect(signedOut).toEqual(['your session expired; sign in again']);

    const again = signedIn();
    const revoked = scripted(json(401, { code: 'TOKEN_REVOKED', message: 'session revoked' }));
    const api2 = new ApiClient(again, revoked.fetchFn, (reason) => signedOut.push(reason));
    await expect(api2.request('authorization', '/v1/roles')).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(revoked.calls).toHaveLength(1);
    expect(signedOut[1]).toBe('your session was ended');
    expect(calls).toHaveLength(2);
  });

  it('never refreshes for an anonymous call (a wrong password is just an error)', async () => {
    const { calls, fetchFn } = scripted(
      json(401, { code: 'INVALID_CREDENTIALS', message: 'invalid user name or password' }),
    );
    const api = new ApiClient(signedIn(), fetchFn);
    await expect(
      api.request('authorization', '/v1/auth/login', { body: {}, anonymous: true }),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(calls).toHaveLength(1);
    expect(authHeader(calls[0])).toBeUndefined();
  });
});

describe('ApiClient answers about the request itself', () => {
  const signedIn = () => {
    const tokens = new TokenStore(memoryStorage());
    tokens.set({ accessToken: jwt({ sub: 'u1' }), refreshToken: 'refresh-1' });
    return tokens;
  };

  it('returns a 401 that is not about the token (a wrong step-up code) as an error, keeping the session', async () => {
    const signedOut: string[] = [];
    const tokens = signedIn();
    const { calls, fetchFn } = scripted(
      json(401, { code: 'STEP_UP_INVALID_CODE', message: 'the TOTP code is not valid' }),
      json(401, {
        code: 'EXPORT_STEP_UP_REQUIRED',
        message: 'approving sensitive fields in clear needs a step-up',
      }),
    );
    const api = new ApiClient(tokens, fetchFn, (reason) => signedOut.push(reason));
    await expect(
      api.request('authorization', '/v1/auth/step-up', { body: { totp: '123456' } }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'STEP_UP_INVALID_CODE',
      message: 'the TOTP code is not valid',
    });
    await expect(api.request('exports', '/v1/exports/x/approve', { body: {} })).rejects.toMatchObject({
      code: 'EXPORT_STEP_UP_REQUIRED',
    });
    // No refresh was tried and nobody was signed out.
    expect(calls.map((c) => c.url)).toEqual([
      '/api/authorization/v1/auth/step-up',
      '/api/exports/v1/exports/x/approve',
    ]);
    expect(tokens.signedIn).toBe(true);
    expect(signedOut).toEqual([]);
  });

  it('downloads a file with the token, named by the service, and turns a refusal into an ApiError', async () => {
    const tokens = signedIn();
    const { calls, fetchFn } = scripted(
      new Response('id,name\n1,Ada\n', {
        status: 200,
        headers: {
          'content-type': 'text/csv',
          'content-disposition': 'attachment; filename="export-e1.csv"',
        },
      }),
      json(410, { statusCode: 410, code: 'EXPORT_LINK_USED', message: 'this download link has been used' }),
    );
    const api = new ApiClient(tokens, fetchFn);
    const file = await api.download('exports', '/v1/exports/e1/download', {
      query: { token: 'tok' },
      fallbackName: 'x.csv',
    });
    expect(file.filename).toBe('export-e1.csv');
    expect(file.contentType).toBe('text/csv');
    expect(await file.blob.text()).toBe('id,name\n1,Ada\n');
    expect(calls[0].url).toBe('/api/exports/v1/exports/e1/download?token=tok');
    expect(authHeader(calls[0])).toBe(`Bearer ${tokens.access}`);
    expect((calls[0].init.headers as Record<string, string>).accept).toBe('*/*');
    await expect(
      api.download('exports', '/v1/exports/e1/download', { query: { token: 'tok' }, fallbackName: 'x.csv' }),
    ).rejects.toMatchObject({
      status: 410,
      code: 'EXPORT_LINK_USED',
      message: 'this download link has been used',
    });
  });

  it('keeps only a plain file name from Content-Disposition', () => {
    expect(filenameOf('attachment; filename="audit-trail-2030.csv"', 'f')).toBe('audit-trail-2030.csv');
    expect(filenameOf("attachment; filename*=UTF-8''report%20Q1.html", 'f')).toBe('report Q1.html');
    expect(filenameOf('attachment; filename="../../etc/passwd"', 'fallback.csv')).toBe('fallback.csv');
    expect(filenameOf('attachment; filename=".hidden"', 'fallback.csv')).toBe('fallback.csv');
    expect(filenameOf('attachment; filename="%E0%A4%A"', 'fallback.csv')).toBe('fallback.csv');
    expect(filenameOf(null, 'fallback.csv')).toBe('fallback.csv');
  });
});

describe('TokenStore', () => {
  it('keeps the access token in memory only and the refresh token in the given storage', () => {
    const storage = memoryStorage();
    const store = new TokenStore(storage);
    const changes: number[] = [];
    store.subscribe(() => changes.push(1));
    store.set({ accessToken: jwt({ sub: 'u9', roles: ['admin'] }), refreshToken: 'r' });
    expect([...storage.data.entries()]).toEqual([['warden.refreshToken', 'r']]);
    expect(store.claims).toMatchObject({ userId: 'u9', roles: ['admin'] });
    // A reload: a new store over the same storage has the refresh token but no access token.
    const reloaded = new TokenStore(storage);
    expect(reloaded.signedIn).toBe(false);
    expect(reloaded.refresh).toBe('r');
    store.clear();
    expect(storage.data.size).toBe(0);
    expect(changes).toHaveLength(2);
  });
});
