import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { toErrorBody } from '@warden/platform';
import type { Response } from 'express';
import { AuthError } from './auth.exception';

/** The platform's error shape, plus `retryAfterSeconds` and a Retry-After header for 423 and 429. */
@Catch(AuthError)
export class AuthExceptionFilter implements ExceptionFilter {
  catch(exception: AuthError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    if (exception.retryAfterSeconds !== null) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
      response.status(body.statusCode).json({ ...body, retryAfterSeconds: exception.retryAfterSeconds });
      return;
    }
    response.status(body.statusCode).json(body);
  }
}
