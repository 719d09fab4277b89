import type { NextFunction, Request, Response } from 'express';
import { SCIM_CONTENT_TYPE, SCIM_MAX_BODY_BYTES } from './scim.constants';
import { ScimError } from './scim.exception';
import { toScimErrorBody } from './scim-exception.filter';

type BodyParserError = { type?: unknown; status?: unknown };

/**
 * Express error handler for `/scim/v2`: the platform's JSON parser (application/json) fails before
 * any route, so its errors would get the platform's error shape. On SCIM paths they become SCIM
 * error bodies: malformed JSON → 400 `invalidSyntax`, too large → 413. The body is never echoed.
 */
export function scimJsonErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = (error as BodyParserError | null)?.type;
  let scim: ScimError | null = null;
  if (type === 'entity.parse.failed') scim = ScimError.invalidSyntax('request body is not valid JSON');
  else if (type === 'entity.too.large') scim = new ScimError(413, null, `request body is larger than the limit of ${SCIM_MAX_BODY_BYTES} bytes`);
  if (!scim || res.headersSent) {
    next(error);
    return;
  }
  res.status(scim.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(toScimErrorBody(scim)));
}
