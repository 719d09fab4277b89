import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { WardenError } from '@warden/contracts';
import { NotFoundError, RequestValidationError, ServiceUnavailableError } from './errors';
import { toErrorBody } from './http-exception.filter';

/** A domain error of the test's own, as a service would define one. */
class ExportRefused extends WardenError {
  readonly code = 'EXPORT_REQUIRES_APPROVAL';
  readonly status = 403;
}

/** What Express's body parser raises: a plain Error with a `type`, a `status` and sometimes a `limit`. */
const bodyParserError = (type: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(`body parser: ${type}`), { type, expose: true, ...fields });

describe('toErrorBody', () => {
  describe('for a Warden error', () => {
    it('uses its own status and code', () => {
      expect(toErrorBody(new ExportRefused('exports of restricted customers need an approval'))).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'exports of restricted customers need an approval',
        code: 'EXPORT_REQUIRES_APPROVAL',
      });
    });

    it.each([
      [
        'RequestValidationError',
        new RequestValidationError(['body.name: required']),
        400,
        'Bad Request',
        'VALIDATION_FAILED',
      ],
      ['NotFoundError', new NotFoundError('customer 42 not found'), 404, 'Not Found', 'NOT_FOUND'],
      [
        'ServiceUnavailableError',
        new ServiceUnavailableError('authorization is unavailable'),
        503,
        'Service Unavailable',
        'SERVICE_UNAVAILABLE',
      ],
    ])('maps a %s to %i %s %s', (_name, error, statusCode, reason, code) => {
      expect(toErrorBody(error)).toEqual({ statusCode, error: reason, message: error.message, code });
    });
  });

  describe('for a body the parser refused', () => {
    it('maps a body over the limit to 413 PAYLOAD_TOO_LARGE, naming the limit', () => {
      expect(
        toErrorBody(bodyParserError('entity.too.large', { status: 413, limit: 1024, length: 5000 })),
      ).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'request body is larger than the limit of 1024 bytes',
        code: 'PAYLOAD_TOO_LARGE',
      });
    });

    it('maps malformed JSON to 400 MALFORMED_JSON without echoing the body', () => {
      const error = bodyParserError('entity.parse.failed', { status: 400, body: '{"password": "hunter2"' });
      const body = toErrorBody(error);
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'request body is not valid JSON',
        code: 'MALFORMED_JSON',
      });
      expect(JSON.stringify(body)).not.toContain('hunter2');
    });

    it('maps an unsupported encoding to 415 UNSUPPORTED_ENCODING', () => {
      expect(toErrorBody(bodyParserError('encoding.unsupported', { status: 415 }))).toMatchObject({
        statusCode: 415,
        code: 'UNSUPPORTED_ENCODING',
      });
    });

    describe('and Nest wrapped the parser error as the cause of an HttpException', () => {
      it('maps malformed JSON to 400 MALFORMED_JSON', () => {
        const wrapped = new BadRequestException('Unexpected token } in JSON', {
          cause: bodyParserError('entity.parse.failed', { status: 400 }),
        });
        expect(toErrorBody(wrapped)).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'request body is not valid JSON',
          code: 'MALFORMED_JSON',
        });
      });

      it('maps a body over the limit to 413 PAYLOAD_TOO_LARGE', () => {
        const wrapped = new PayloadTooLargeException('request entity too large', {
          cause: bodyParserError('entity.too.large', { status: 413, limit: 2048 }),
        });
        expect(toErrorBody(wrapped)).toMatchObject({
          statusCode: 413,
          code: 'PAYLOAD_TOO_LARGE',
          message: 'request body is larger than the limit of 2048 bytes',
        });
      });
    });
  });

  describe('for an unexpected error', () => {
    it('answers a plain 500 INTERNAL and never repeats the original message', () => {
      const error = new Error('connect ECONNREFUSED postgres://warden:s3cret@10.0.0.5:5432');
      const body = toErrorBody(error);
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
        code: 'INTERNAL',
      });
      expect(JSON.stringify(body)).not.toContain('s3cret');
    });

    it.each([
      ['a thrown string', 'a string'],
      ['null', null],
      ['undefined', undefined],
      ['a plain object', { message: 'an object' }],
      ['an Error carrying a status of its own', Object.assign(new Error('x'), { status: 404 })],
    ])('answers 500 INTERNAL for %s', (_what, thrown) => {
      expect(toErrorBody(thrown)).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
        code: 'INTERNAL',
      });
    });
  });

  describe('for a Nest HttpException', () => {
    it('maps NotFoundException to 404 NOT_FOUND', () => {
      expect(toErrorBody(new NotFoundException('Cannot GET /nowhere'))).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /nowhere',
        code: 'NOT_FOUND',
      });
    });

    it('keeps the status of other exceptions, coded by status name', () => {
      expect(toErrorBody(new ForbiddenException('no access'))).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'no access',
        code: 'FORBIDDEN',
      });
    });

    it('joins a list of messages', () => {
      const exception = new BadRequestException(['name must be a string', 'tags must be an array']);
      expect(toErrorBody(exception)).toMatchObject({
        statusCode: 400,
        message: 'name must be a string; tags must be an array',
        code: 'BAD_REQUEST',
      });
    });

    it('uses a string response as the message', () => {
      expect(toErrorBody(new HttpException('slow down', 429))).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'slow down',
        code: 'TOO_MANY_REQUESTS',
      });
    });

    it('does not take a cause without a parser type for a parser error', () => {
      const exception = new BadRequestException('bad filter', { cause: new Error('internal detail') });
      expect(toErrorBody(exception)).toMatchObject({
        statusCode: 400,
        message: 'bad filter',
        code: 'BAD_REQUEST',
      });
    });
  });
});
