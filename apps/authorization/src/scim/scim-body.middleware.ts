import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SCIM_CONTENT_TYPE, SCIM_MAX_BODY_BYTES } from './scim.constants';
import { ScimError } from './scim.exception';
import { toScimErrorBody } from './scim-exception.filter';

const isScimJson = (req: Request): boolean =>
  (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === SCIM_CONTENT_TYPE;

const fail = (res: Response, error: ScimError): void => {
  res.status(error.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(toScimErrorBody(error)));
};

/**
 * The platform parses `application/json` only; identity providers send `application/scim+json`.
 * This parses those bodies for the SCIM routes (malformed → 400 `invalidSyntax`, too large → 413,
 * both as SCIM error bodies) and makes `application/scim+json` the content type of every answer.
 */
@Injectable()
export class ScimBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    res.setHeader('Content-Type', `${SCIM_CONTENT_TYPE}; charset=utf-8`);
    if (!isScimJson(req) || (req as Request & { _body?: boolean })._body || req.readableEnded) {
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > SCIM_MAX_BODY_BYTES) {
        failed = true;
        fail(res, new ScimError(413, null, `request body is larger than the limit of ${SCIM_MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (failed) return;
      failed = true;
      next(error);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        req.body = undefined;
        next();
        return;
      }
      try {
        req.body = JSON.parse(text) as unknown;
      } catch {
        fail(res, ScimError.invalidSyntax('request body is not valid JSON'));
        return;
      }
      next();
    });
  }
}
