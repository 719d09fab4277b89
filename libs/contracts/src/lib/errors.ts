/**
 * The base of every error Warden reports to a caller. `code` is stable and machine-readable;
 * `status` is the HTTP status it maps to. The message must never contain a secret or a sensitive
 * value.
 */
export abstract class WardenError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The base of an aggregate's domain error: a code from the aggregate's error-code enum and the
 * HTTP status that code maps to.
 */
export abstract class CodedError<C extends string> extends WardenError {
  readonly status: number;
  protected constructor(
    readonly code: C,
    message: string,
    statusOf: Readonly<Record<C, number>>,
  ) {
    super(message);
    this.status = statusOf[code];
  }
}
