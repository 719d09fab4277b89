import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { WardenError } from '@warden/contracts';
import type { Response } from 'express';
import { SCIM_CONTENT_TYPE, ScimSchemas } from './scim.constants';
import { ScimError, type ScimErrorBody, type ScimType } from './scim.exception';

/** Warden error codes of other features, as the SCIM error they are to an identity provider. */
const SCIM_TYPE_OF: Record<string, ScimType> = {
  USERNAME_TAKEN: 'uniqueness',
  USER_ALREADY_EXISTS: 'uniqueness',
  VALIDATION_FAILED: 'invalidValue',
  USER_INVALID_REFERENCE: 'invalidValue',
  WEAK_PASSWORD: 'invalidValue',
  USER_INVALID_STATUS_TRANSITION: 'mutability',
};

export function toScimErrorBody(exception: unknown): ScimErrorBody {
  const body = (status: number, scimType: ScimType | null, detail: string): ScimErrorBody => ({
    schemas: [ScimSchemas.Error],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  });
  if (exception instanceof ScimError) return body(exception.status, exception.scimType, exception.message);
  if (exception instanceof WardenError) {
    const scimType = SCIM_TYPE_OF[exception.code] ?? null;
    // A refused status change is a 400 `mutability` to SCIM (409 is for uniqueness only).
    const status = scimType === 'mutability' ? 400 : exception.status;
    return body(status, scimType, exception.message);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return body(status, status === 400 ? 'invalidSyntax' : null, exception.message);
  }
  return body(500, null, 'internal error');
}

/** Every error of a SCIM endpoint (guard, pipe, handler) as an RFC 7644 §3.12 error body. */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ScimExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = toScimErrorBody(exception);
    if (body.status === '500') this.logger.error({ err: exception }, 'SCIM request failed');
    response.status(Number(body.status)).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
