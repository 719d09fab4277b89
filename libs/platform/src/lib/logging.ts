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
const redactedSet = new Set(REDACTED_KEYS);
export const REDACTED = '[redacted]';

/** A copy of `value` with every sensitive key's value replaced, at any depth. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: value.message, stack: value.stack, ...(redactDeep({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = redactedSet.has(key.toLowerCase()) ? REDACTED : redactDeep(inner, depth + 1);
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
