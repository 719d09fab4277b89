import { TokenStore, type TokenPair } from '../auth/token-store';
import { ApiError, errorFromBody } from './api-error';
import { openEventStream, type EventStreamHandle, type EventStreamOptions } from './event-stream';

/** The services behind the gateway (`/api/<service>/…`). */
export type Service =
  'authorization' | 'customer-records' | 'exports' | 'offboarding' | 'anomaly-alerting' | 'audit';

export type QueryValue = string | number | boolean | null | undefined;

export type RequestOptions = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Calls that must not carry or refresh a token (sign-in). */
  anonymous?: boolean;
  /** The `Accept` header (JSON unless said otherwise). */
  accept?: string;
};

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * 401 codes that say the access token is missing or no longer valid: a refresh can help. Any other
 * 401 is an answer about the request itself (a wrong step-up code, an approval that needs a step-up
 * proof) and is returned as it is, without touching the session.
 */
const REFRESHABLE_401_CODES = new Set(['UNAUTHENTICATED', 'INVALID_TOKEN', 'HTTP_401']);
/** 401 codes after which a refresh cannot help: the session or the user was revoked. */
const FINAL_401_CODES = new Set(['TOKEN_REVOKED']);

/** A file answered by a service: its content and the name it suggests (`Content-Disposition`). */
export type DownloadedFile = { blob: Blob; filename: string; contentType: string };

/** The file name of a `Content-Disposition` header (`attachment; filename="x.csv"`), else `fallback`. */
export function filenameOf(disposition: string | null, fallback: string): string {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  let name = '';
  try {
    name = match ? decodeURIComponent(match[1]).trim() : '';
  } catch {
    return fallback;
  }
  // Only a plain name: no path, nothing hidden.
  return name && /^[\w.@() -]{1,200}$/.test(name) && !name.startsWith('.') ? name : fallback;
}

/** `/api/customer-records/v1/customers?mobile=…`; empty and undefined query values are left out. */
export function buildUrl(service: Service, path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const search = params.toString();
  return `/api/${service}${path.startsWith('/') ? path : `/${path}`}${search ? `?${search}` : ''}`;
}

/**
 * The console's HTTP client. Adds the access token, turns every failure into an ApiError, and on a
 * 401 refreshes the tokens once (one refresh at a time, shared by concurrent calls) and retries.
 * When the refresh fails the tokens are dropped and `onSignedOut` runs.
 */
export class ApiClient {
  private refreshing: Promise<boolean> | null = null;

  constructor(
    readonly tokens: TokenStore,
    private readonly fetchFn: FetchLike,
    private readonly onSignedOut: (reason: string) => void = () => undefined,
  ) {}

  async request<T>(service: Service, path: string, options: RequestOptions = {}): Promise<T> {
    return this.read<T>(await this.authorized(service, path, options));
  }

  /**
   * A file (export, audit trail, report) with the same token handling as `request`; an error
   * answer becomes an ApiError like any other.
   */
  async download(
    service: Service,
    path: string,
    options: RequestOptions & { fallbackName: string },
  ): Promise<DownloadedFile> {
    const res = await this.authorized(service, path, { accept: '*/*', ...options });
    if (!res.ok) return this.read<never>(res);
    return {
      blob: await res.blob(),
      filename: filenameOf(res.headers.get('content-disposition'), options.fallbackName),
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    };
  }

  /**
   * A Server-Sent Events stream with the bearer token (fetch-based: `EventSource` cannot send it),
   * resumed with `Last-Event-ID` after a drop; a refused refresh signs out like any call.
   */
  openStream(
    service: Service,
    path: string,
    options: Pick<EventStreamOptions, 'onMessage' | 'onStatus' | 'lastEventId'>,
  ): EventStreamHandle {
    return openEventStream({
      ...options,
      url: buildUrl(service, path),
      fetch: this.fetchFn,
      token: () => this.tokens.access,
      refresh: () => this.refreshOnce(),
      onSessionEnded: (reason) => {
        this.tokens.clear();
        this.onSignedOut(reason);
      },
    });
  }

  /** Sends with the access token; on a 401 about the token refreshes once and sends again. */
  private async authorized(service: Service, path: string, options: RequestOptions): Promise<Response> {
    const first = await this.send(service, path, options);
    if (first.status !== 401 || options.anonymous) return first;
    const body = await this.parse(first);
    const code =
      typeof (body as { code?: unknown })?.code === 'string' ? (body as { code: string }).code : 'HTTP_401';
    if (!REFRESHABLE_401_CODES.has(code) && !FINAL_401_CODES.has(code)) throw errorFromBody(401, body);
    if (!FINAL_401_CODES.has(code) && (await this.refreshOnce())) return this.send(service, path, options);
    this.tokens.clear();
    this.onSignedOut(
      code === 'TOKEN_REVOKED' ? 'your session was ended' : 'your session expired; sign in again',
    );
    throw errorFromBody(401, body);
  }

  /** Uses the stored refresh token; true when new tokens were stored. Concurrent callers share one attempt. */
  refreshOnce(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const refreshToken = this.tokens.refresh;
    if (!refreshToken) return false;
    try {
      const res = await this.send('authorization', '/v1/auth/refresh', {
        method: 'POST',
        body: { refreshToken },
        anonymous: true,
      });
      if (!res.ok) return false;
      this.tokens.set((await res.json()) as TokenPair);
      return true;
    } catch {
      return false;
    }
  }

  private async send(service: Service, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const token = this.tokens.access;
    if (token && !options.anonymous) headers.authorization = `Bearer ${token}`;
    try {
      return await this.fetchFn(buildUrl(service, path, options.query), {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'omit',
      });
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'cannot reach the Warden gateway; check your connection');
    }
  }

  private async parse(res: Response): Promise<unknown> {
    const text = await res.text().catch(() => '');
    if (!text) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  private async read<T>(res: Response): Promise<T> {
    const body = await this.parse(res);
    if (!res.ok) throw errorFromBody(res.status, body);
    return body as T;
  }
}
