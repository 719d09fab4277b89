import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { GATEWAY_SERVICE_NAMES, type GatewayConfig, type GatewayService } from './core/config';
import { sendError } from './core/error-body';
import { serviceProxy } from './proxy/service-proxy';
import { rateLimitBucket, resolveServiceRoute } from './proxy/service-route.util';
import { RedisRateLimiter } from './rate-limit/rate-limiter';
import { consoleStatic } from './web/console-static';
import { securityHeaders } from './web/security-headers';

export type GatewayDeps = { redis: Redis; logger: Logger };

/** A request id as the services accept it (`X-Request-Id` kept when well-formed, else a new one). */
const requestId = (req: IncomingMessage): string => {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && /^[\w-]{1,100}$/.test(header) ? header : randomUUID();
};

/** The path of a URL without its query: queries may hold search values (a mobile number), never logged. */
const pathOnly = (url: string | undefined): string => (url ?? '').split('?')[0].slice(0, 300);

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);

/**
 * The gateway: one origin for the browser. Security headers on everything, request ids, the
 * services under `/api/<service>/…` (rate-limited per client IP in Redis), the built console with
 * an SPA fallback, and JSON errors for everything else.
 */
export function createGatewayServer(config: GatewayConfig, { redis, logger }: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.GATEWAY_TRUSTED_PROXIES.length > 0 ? config.GATEWAY_TRUSTED_PROXIES : false);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = requestId(req);
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
      serializers: {
        req: (req: { id: string; method: string; raw?: { originalUrl?: string }; url: string }) => ({
          id: req.id,
          method: req.method,
          url: pathOnly(req.raw?.originalUrl ?? req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(securityHeaders());
  app.use((req, res, next) => {
    const stop = duration.startTimer();
    res.on('finish', () => {
      const route = resolveServiceRoute(req.originalUrl);
      const label =
        route?.kind === 'forward'
          ? `/api/${route.service}`
          : req.path.startsWith('/api')
            ? '/api'
            : 'console';
      stop({
        method: req.method,
        route: /^\/(health|metrics)/.test(req.path) ? req.path : label,
        status: String(res.statusCode),
      });
    });
    next();
  });

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    try {
      await withTimeout(redis.ping(), 2000);
      res.json({ status: 'ok', info: { redis: { status: 'up' } } });
    } catch (error) {
      res
        .status(503)
        .json({ status: 'error', error: { redis: { status: 'down', message: (error as Error).message } } });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type('text/plain; version=0.0.4').send(await registry.metrics());
  });

  const limiter = new RedisRateLimiter(redis, config.GATEWAY_RATE_LIMIT_KEY_PREFIX);
  const proxies = Object.fromEntries(
    GATEWAY_SERVICE_NAMES.map((service) => [
      service,
      serviceProxy(service, config.services[service], config.GATEWAY_PROXY_TIMEOUT_MS, logger),
    ]),
  ) as Record<GatewayService, express.RequestHandler>;

  app.use('/api', async (req: Request, res: Response, next: NextFunction) => {
    const route = resolveServiceRoute(req.originalUrl);
    if (!route || route.kind === 'unknown-service') {
      const name = route?.service ?? '';
      sendError(
        res,
        404,
        'NOT_FOUND',
        name
          ? `no service named "${name}" behind the gateway (known: ${GATEWAY_SERVICE_NAMES.join(', ')})`
          : `use /api/<service>/…, with a service among ${GATEWAY_SERVICE_NAMES.join(', ')}`,
      );
      return;
    }
    if (route.kind === 'not-forwarded') {
      sendError(
        res,
        404,
        'NOT_FOUND',
        `${route.service}: ${route.path} is not served through the gateway (only /v1/… APIs)`,
      );
      return;
    }
    const bucket = rateLimitBucket(route);
    const max = bucket === 'auth' ? config.GATEWAY_AUTH_RATE_LIMIT_MAX : config.GATEWAY_RATE_LIMIT_MAX;
    try {
      const decision = await limiter.hit(
        bucket,
        req.ip ?? 'unknown',
        max,
        config.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
      );
      res.setHeader('RateLimit-Limit', String(decision.limit));
      res.setHeader('RateLimit-Remaining', String(decision.remaining));
      res.setHeader('RateLimit-Reset', String(decision.resetSeconds));
      if (!decision.allowed) {
        res.setHeader('Retry-After', String(decision.resetSeconds));
        sendError(res, 429, 'RATE_LIMITED', `too many requests; try again in ${decision.resetSeconds} s`);
        return;
      }
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'rate limit store unavailable');
      sendError(
        res,
        503,
        'RATE_LIMIT_UNAVAILABLE',
        'the gateway cannot count requests right now (Redis); try again shortly',
      );
      return;
    }
    req.url = route.path;
    proxies[route.service](req, res, next);
  });

  app.use(consoleStatic(config.CONSOLE_DIST_DIR));
  app.use((req, res) => {
    sendError(res, 404, 'NOT_FOUND', `${req.method} ${pathOnly(req.originalUrl)} does not exist`);
  });
  return app;
}
