import { WardenError } from '@warden/contracts';
import CircuitBreaker from 'opossum';
import { AuthUnavailableError } from '../auth/auth.errors';

export type ServiceTokenClientOptions = {
  /** Base URL of the authorization service, e.g. http://127.0.0.1:3001 */
  authorizationUrl: string;
  /** This service's client id (`SERVICE_CLIENT_ID`), e.g. `exports`. */
  clientId: string;
  /** Its secret (`SERVICE_CLIENT_SECRET`); never logged, never put in an error. */
  clientSecret: string;
  /** How long one token request may take (ms); default 2000. */
  timeoutMs?: number;
  /** How long before its expiry a token is replaced (ms); default 60 000. */
  refreshMarginMs?: number;
  /** Breaker: how long the circuit stays open after repeated failures (ms); default 5000. */
  resetTimeoutMs?: number;
  /** The clock (epoch ms), injected for tests. */
  now?: () => number;
};

/** The authorization service refused this service's credentials (a configuration fault): 503 to the caller. */
export class ServiceCredentialsRejectedError extends WardenError {
  readonly code = 'SERVICE_CREDENTIALS_REJECTED';
  readonly status = 503;
}

type TokenAnswer = { accessToken: string; expiresIn: number };

const isTokenAnswer = (value: unknown): value is TokenAnswer =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as TokenAnswer).accessToken === 'string' &&
  typeof (value as TokenAnswer).expiresIn === 'number' &&
  (value as TokenAnswer).expiresIn > 0;

/**
 * A service's own access token (principal `system:<clientId>`) from the authorization service's
 * `POST /v1/auth/service-token`, for calls to other Warden services:
 *
 *     const tokens = new ServiceTokenClient({ authorizationUrl, clientId, clientSecret });
 *     await fetch(url, { headers: { authorization: `Bearer ${await tokens.token()}` } });
 *
 * - the token is cached until `refreshMarginMs` (60 s) before it expires;
 * - concurrent callers share one request: never more than one in flight;
 * - requests go through a circuit breaker (opossum; libs/security cannot use libs/platform's
 *   `createBreaker`, which depends on this library): while authorization fails, calls fail fast;
 * - unreachable, slow, 5xx or an open circuit → `AuthUnavailableError` (503 AUTH_UNAVAILABLE);
 *   credentials refused (401/403/400) → `ServiceCredentialsRejectedError` (503): either way the
 *   caller's request is refused, never served without the dependency.
 */
export class ServiceTokenClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private readonly breaker: CircuitBreaker<[], TokenAnswer>;
  private cached: { token: string; renewAtMs: number } | null = null;
  private inFlight: Promise<string> | null = null;

  constructor(private readonly options: ServiceTokenClientOptions) {
    this.url = `${options.authorizationUrl.replace(/\/+$/, '')}/v1/auth/service-token`;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.breaker = new CircuitBreaker<[], TokenAnswer>(() => this.request(), {
      name: `authorization.service-token.${options.clientId}`,
      timeout: this.timeoutMs + 500,
      errorThresholdPercentage: 50,
      resetTimeout: options.resetTimeoutMs ?? 5000,
      volumeThreshold: 3,
      // A refusal of the credentials says nothing about authorization's health.
      errorFilter: (error: unknown) => error instanceof ServiceCredentialsRejectedError,
    });
  }

  /** A valid access token for this service: cached, or fetched (one request at a time). */
  async token(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAtMs) return cached.token;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Forgets the cached token (e.g. after another service refused it): the next `token()` fetches. */
  invalidate(): void {
    this.cached = null;
  }

  /** Stops the breaker's timers (at shutdown). */
  close(): void {
    this.breaker.shutdown();
  }

  private async fetchToken(): Promise<string> {
    const startedAt = this.now();
    let answer: TokenAnswer;
    try {
      answer = await this.breaker.fire();
    } catch (error) {
      if (error instanceof ServiceCredentialsRejectedError || error instanceof AuthUnavailableError) throw error;
      if (this.breaker.opened || (error as { code?: string }).code === 'EOPENBREAKER') {
        throw new AuthUnavailableError('the authorization service is unavailable (circuit open); try again shortly');
      }
      throw new AuthUnavailableError('the authorization service cannot issue a service token right now');
    }
    const lifetimeMs = answer.expiresIn * 1000;
    // Measured from before the request: the token cannot be older than that.
    this.cached = { token: answer.accessToken, renewAtMs: startedAt + Math.max(lifetimeMs - this.refreshMarginMs, lifetimeMs / 2) };
    return answer.accessToken;
  }

  private async request(): Promise<TokenAnswer> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ clientId: this.options.clientId, clientSecret: this.options.clientSecret }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      // No detail: the error of a failed fetch may quote the request.
      throw new AuthUnavailableError('the authorization service cannot be reached');
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new ServiceCredentialsRejectedError(`the authorization service refused the credentials of ${this.options.clientId} (${res.status})`);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new AuthUnavailableError(`the authorization service answered ${res.status} to a service-token request`);
    }
    const body: unknown = await res.json().catch(() => null);
    if (!isTokenAnswer(body)) throw new AuthUnavailableError('the authorization service answered a service-token request without a token');
    return body;
  }
}
