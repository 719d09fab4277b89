import { resolve } from 'node:path';
import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

/** The services behind the gateway, by the name used in `/api/<service>/…`, with their default ports. */
export const GATEWAY_SERVICES = {
  authorization: 3001,
  'customer-records': 3002,
  exports: 3003,
  offboarding: 3004,
  'anomaly-alerting': 3005,
  audit: 3006,
} as const;
export type GatewayService = keyof typeof GATEWAY_SERVICES;
export const GATEWAY_SERVICE_NAMES = Object.keys(GATEWAY_SERVICES) as GatewayService[];

/** `customer-records` → `CUSTOMER_RECORDS` */
const envName = (service: string): string => service.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
/** The variable that overrides a service's base URL, e.g. `CUSTOMER_RECORDS_URL`. */
export const serviceUrlVariable = (service: GatewayService): string => `${envName(service)}_URL`;

const baseUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
  .transform((url) => url.replace(/\/+$/, ''));

/** Each entry of GATEWAY_TRUSTED_PROXIES: an Express `trust proxy` name, an IP or a CIDR. */
const trustedProxy = z
  .string()
  .regex(
    /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/,
    'each entry must be loopback, linklocal, uniquelocal, an IP or a CIDR',
  );

const positive = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const gatewayConfigSchema = baseConfigSchema.extend({
  GATEWAY_PORT: portSchema(3000),
  /** The built console (`npm run console:build`); served with an SPA fallback to index.html. */
  CONSOLE_DIST_DIR: z.string().min(1).default(resolve(__dirname, '../../../console/dist')),
  /**
   * Proxies in front of the gateway whose X-Forwarded-For is believed (comma-separated Express
   * `trust proxy` entries). Empty (the default): the client is the TCP peer, and an X-Forwarded-For
   * sent by a browser is ignored.
   */
  GATEWAY_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(trustedProxy)),
  /** Requests per client IP to `/api/…` within the window (Redis-backed, shared by every gateway instance). */
  GATEWAY_RATE_LIMIT_MAX: positive(600),
  /** Requests per client IP to `/api/authorization/v1/auth/…` (login, refresh, MFA) within the window. */
  GATEWAY_AUTH_RATE_LIMIT_MAX: positive(60),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: positive(60),
  /** Redis key prefix of the counters; instances that share it share the limits. */
  GATEWAY_RATE_LIMIT_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,100}$/)
    .default('warden:gateway:rate'),
  /** A service that sends nothing for this long is given up (503). Event streams (SSE) must send heartbeats. */
  GATEWAY_PROXY_TIMEOUT_MS: positive(60_000),
  AUTHORIZATION_URL: baseUrl.optional(),
  CUSTOMER_RECORDS_URL: baseUrl.optional(),
  EXPORTS_URL: baseUrl.optional(),
  OFFBOARDING_URL: baseUrl.optional(),
  ANOMALY_ALERTING_URL: baseUrl.optional(),
  AUDIT_URL: baseUrl.optional(),
});

type ParsedGatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type GatewayConfig = ParsedGatewayConfig & {
  /** Base URL of every service: `<SERVICE>_URL`, else `http://127.0.0.1:<SERVICE>_PORT` (or its default port). */
  services: Record<GatewayService, string>;
};

/**
 * Loads the gateway's configuration. A service's base URL is `<SERVICE>_URL`; without it, the
 * service's port variable (`<SERVICE>_PORT`, which `npm start` passes to every app) on 127.0.0.1.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const portsSchema = z.object(
    Object.fromEntries(
      GATEWAY_SERVICE_NAMES.map((service) => [
        `${envName(service)}_PORT`,
        portSchema(GATEWAY_SERVICES[service]),
      ]),
    ),
  );
  const parsed = loadConfig(gatewayConfigSchema.extend(portsSchema.shape), env) as ParsedGatewayConfig &
    Record<string, number>;
  const services = Object.fromEntries(
    GATEWAY_SERVICE_NAMES.map((service) => {
      const explicit = parsed[serviceUrlVariable(service) as keyof ParsedGatewayConfig] as string | undefined;
      return [service, explicit ?? `http://127.0.0.1:${parsed[`${envName(service)}_PORT`]}`];
    }),
  ) as Record<GatewayService, string>;
  return { ...parsed, services };
}
