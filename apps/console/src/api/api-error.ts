/** An error from the gateway or a service (`{statusCode, error, message, code}`), or from the network. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The gateway could not be reached at all (status 0). */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

type ErrorShape = { statusCode?: unknown; code?: unknown; message?: unknown };

/** An ApiError from a failed response's body, whatever it holds (JSON error, text, nothing). */
export function errorFromBody(status: number, body: unknown): ApiError {
  const shape = (typeof body === 'object' && body !== null ? body : {}) as ErrorShape;
  const code = typeof shape.code === 'string' ? shape.code : `HTTP_${status}`;
  const message =
    typeof shape.message === 'string' && shape.message.trim()
      ? shape.message
      : typeof body === 'string' && body.trim() && body.length < 300
        ? body
        : defaultMessage(status);
  return new ApiError(status, code, message);
}

const defaultMessage = (status: number): string => {
  if (status === 401) return 'you are not signed in (or your session ended)';
  if (status === 403) return 'you are not allowed to do this';
  if (status === 404) return 'not found';
  if (status === 429) return 'too many requests; wait a moment and try again';
  if (status >= 500) return 'the server could not answer; try again shortly';
  return `the request failed (HTTP ${status})`;
};

/** What to show a person for any error thrown by an action. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'something went wrong';
}
