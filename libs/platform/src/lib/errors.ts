import { WardenError } from '@warden/contracts';
import { z } from 'zod';

/** The body of every error a Warden HTTP API returns. */
export type ErrorBody = { statusCode: number; error: string; message: string; code: string };

export class RequestValidationError extends WardenError {
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
  constructor(readonly issues: readonly string[]) {
    super(`invalid request: ${issues.join('; ')}`);
  }

  static fromZod(error: z.ZodError, where: string): RequestValidationError {
    return new RequestValidationError(
      error.issues.map((issue) => {
        const path = [where, ...issue.path.map(String)].join('.');
        if (issue.code === 'unrecognized_keys') return `${path}: unknown field(s) ${issue.keys.join(', ')}`;
        return `${path}: ${issue.message}`;
      }),
    );
  }
}

export class NotFoundError extends WardenError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}

/** A synchronous call to another service was refused because its circuit is open. */
export class ServiceUnavailableError extends WardenError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
}
