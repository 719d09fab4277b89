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
