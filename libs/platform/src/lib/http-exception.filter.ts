import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger, Optional } from '@nestjs/common';
import { WardenError } from '@warden/contracts';
import type { Request, Response } from 'express';
import { AccessDenialService } from './access-denial.service';
import type { ErrorBody } from './errors';

const reason = (status: number): string =>
  (HttpStatus[status] ?? 'ERROR')
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');

/** Errors raised by Express's body parser before a handler runs. */
type BodyParserError = Error & { type?: string; status?: number; limit?: number };

/** Turns any error into `{statusCode, error, message, code}`; unknown errors become a plain 500. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof WardenError) {
    return { statusCode: exception.status, error: reason(exception.status), message: exception.message, code: exception.code };
  }
  const cause = exception instanceof HttpException ? (exception.cause as BodyParserError | undefined) : undefined;
  const parser = (cause?.type ? cause : exception) as BodyParserError;
  if (parser?.type === 'entity.too.large') {
    return {
      statusCode: 413,
      error: reason(413),
      message: `request body is larger than the limit of ${parser.limit} bytes`,
      code: 'PAYLOAD_TOO_LARGE',
    };
  }
  if (parser?.type === 'entity.parse.failed') {
    return { statusCode: 400, error: reason(400), message: 'request body is not valid JSON', code: 'MALFORMED_JSON' };
  }
  if (parser?.type === 'encoding.unsupported' || parser?.type === 'charset.unsupported') {
    return { statusCode: 415, error: reason(415), message: parser.message, code: 'UNSUPPORTED_ENCODING' };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    const code = status === 404 ? 'NOT_FOUND' : (HttpStatus[status] ?? 'HTTP_ERROR');
    return { statusCode: status, error: reason(status), message, code };
  }
  return { statusCode: 500, error: reason(500), message: 'internal error', code: 'INTERNAL' };
}

/**
 * The error shape of every HTTP answer. A 403 to an authenticated person is first recorded as
 * `AccessDenied` (see `AccessDenialService`; a failed record is logged, the answer stays 403).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(@Optional() private readonly denials?: AccessDenialService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    const denials = this.denials;
    if (body.statusCode === 403 && denials) {
      void denials
        .record(host.switchToHttp().getRequest<Request>(), body)
        .then(() => this.answer(exception, host))
        .catch((error: unknown) => this.logger.error({ err: error }, 'could not answer a refused request'));
      return;
    }
    this.answer(exception, host);
  }

  private answer(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // Health checks answer with their own report (which dependency is down), not the error shape.
    if (exception instanceof HttpException) {
      const report = exception.getResponse() as { status?: unknown; details?: unknown };
      if (typeof report === 'object' && report?.details && report.status) {
        response.status(exception.getStatus()).json(report);
        return;
      }
    }
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception }, 'request failed');
    }
    response.status(body.statusCode).json(body);
  }
}
