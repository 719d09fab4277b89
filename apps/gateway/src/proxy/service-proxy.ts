import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware, type Plugin } from 'http-proxy-middleware';
import type { Logger } from 'pino';
import { sendError } from '../core/error-body';
import type { GatewayService } from '../core/config';

type GatewayRequest = IncomingMessage & { id?: unknown; ip?: string; protocol?: string };

/** Request headers a browser may not pass on to a service: the gateway sets the forwarding ones itself, and no cookies are used. */
const STRIPPED_REQUEST_HEADERS = [
  'cookie',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
];

/**
 * Forwards to one service. The request id, the client's address (as the gateway determined it) and
 * the protocol go along; cookies go neither way (the console uses bearer tokens, so CSRF has no
 * ambient credential to abuse). A service that cannot be reached answers 503 naming it.
 */
export function serviceProxy(
  service: GatewayService,
  target: string,
  timeoutMs: number,
  logger: Logger,
): RequestHandler {
  const plugin: Plugin<GatewayRequest, ServerResponse> = (proxy) => {
    proxy.on('proxyReq', (proxyReq: ClientRequest, req: GatewayRequest) => {
      for (const header of STRIPPED_REQUEST_HEADERS) proxyReq.removeHeader(header);
      if (typeof req.id === 'string') proxyReq.setHeader('x-request-id', req.id);
      if (req.ip) proxyReq.setHeader('x-forwarded-for', req.ip);
      proxyReq.setHeader('x-forwarded-proto', req.protocol ?? 'http');
      proxyReq.on('error', () => undefined);
    });
    proxy.on('proxyRes', (proxyRes: IncomingMessage, _req: GatewayRequest, res: ServerResponse) => {
      delete proxyRes.headers['set-cookie'];
      // An event stream the browser closed: stop reading the service's side too.
      res.on('close', () => {
        if (!res.writableEnded) proxyRes.destroy();
      });
    });
    proxy.on('open', (socket: Socket) => socket.on('error', () => undefined));
    proxy.on(
      'error',
      (error: Error & { code?: string }, req: GatewayRequest, res: ServerResponse | Socket) => {
        logger.warn(
          { target: service, requestId: req.id, err: { code: error.code, message: error.message } },
          'service unreachable',
        );
        if (!('writeHead' in res)) {
          res.destroy();
          return;
        }
        sendError(
          res as unknown as Response,
          503,
          'SERVICE_UNAVAILABLE',
          `${service} is unavailable; try again shortly`,
        );
      },
    );
  };
  return createProxyMiddleware<Request, Response>({
    target,
    changeOrigin: true,
    xfwd: false,
    proxyTimeout: timeoutMs,
    ejectPlugins: true,
    plugins: [plugin as unknown as Plugin<Request, Response>],
  }) as unknown as RequestHandler;
}
