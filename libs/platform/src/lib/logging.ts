import { EventEmitter } from 'node:events';
import type { Params } from 'nestjs-pino';
import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line: credentials, tokens and the customer fields that are
 * sensitive. Matched case-insensitively at any depth.
 */
export const REDACTED_KEYS: readonly string[] = [
  'password',
  'newpassword',
  'currentpassword',
  'passwordhash',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'enrollmenttoken',
  'secret',
  'clientsecret',
  'totp',
  'recoverycodes',
  'authorization',
  'cookie',
  'set-cookie',
  'apikey',
  'x-api-key',
  'privatekey',
  'nationalid',
  'mobile',
  'phone',
  'email',
  'address',
  'notebody',
];
/** `accessToken`, `access_token`, `Access-Token` and `ACCESS.TOKEN` are one key. */
const normaliseKey = (key: string): string => key.toLowerCase().replace(/[-_.\s]/g, '');
const redactedSet = new Set(REDACTED_KEYS.map(normaliseKey));
export const REDACTED = '[redacted]';
/** What stands in for anything nested deeper than `redactDeep` looks: it cannot be checked, so it is not logged. */
export const TRUNCATED = '[truncated]';
const MAX_DEPTH = 8;

const isSensitiveKey = (key: string): boolean => redactedSet.has(normaliseKey(key));

/** A copy of `value` with every sensitive key's value replaced, at any depth. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return TRUNCATED;
  if (value instanceof Error) {
    // Null prototype with a hidden `name`: pino's `err` serializer, which runs after this, then
    // keeps the error's class as `type` instead of reporting every error as an `Object`.
    const out = Object.assign(Object.create(null) as Record<string, unknown>, {
      type: value.name,
      message: value.message,
      stack: value.stack,
      ...(redactDeep({ ...value }, depth + 1) as object),
    });
    return Object.defineProperty(out, 'name', { value: value.name, enumerable: false });
  }
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  // Requests, responses and sockets are left to pino's serializers, which keep only safe fields.
  if (value instanceof EventEmitter) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return redactDeep(toJSON.call(value), depth + 1);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactDeep(inner, depth + 1);
  }
  return out;
}

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactDeep(object) as Record<string, unknown>,
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: REDACTED,
    },
  };
}

export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(service, level), destination) : pino(loggerOptions(service, level));
}

/** nestjs-pino settings: request logging with request ids, health and metrics probes kept quiet. */
export function httpLoggerParams(service: string, level: string): Params {
  return {
    pinoHttp: {
      ...loggerOptions(service, level),
      genReqId: (req, res) => {
        const header = req.headers['x-request-id'];
        const id = typeof header === 'string' && /^[\w-]{1,100}$/.test(header) ? header : crypto.randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
  };
}
