import { GATEWAY_SERVICE_NAMES, type GatewayService } from '../core/config';

/**
 * What the gateway forwards of a service: its versioned API and the JWKS. Health, metrics and the
 * OpenAPI pages stay on the services' own ports (operators reach them directly, not browsers).
 */
const FORWARDED_PATHS = [/^\/v\d+(\/|$)/, /^\/\.well-known\/jwks\.json$/];

export type ServiceRoute =
  | { kind: 'forward'; service: GatewayService; path: string }
  | { kind: 'unknown-service'; service: string }
  | { kind: 'not-forwarded'; service: GatewayService; path: string };

const isService = (name: string): name is GatewayService =>
  (GATEWAY_SERVICE_NAMES as string[]).includes(name);

/**
 * Where `/api/<service>/<path>?<query>` goes. `url` is the request URL as received (path and
 * query); the path is decoded only to check it, and forwarded as it came.
 */
export function resolveServiceRoute(url: string): ServiceRoute | null {
  const match = /^\/api(?=$|[/?])(?:\/([^/?#]*))?(\/[^?#]*)?(\?[^#]*)?$/.exec(url);
  if (!match) return null;
  const [, service = '', rest = '/', query = ''] = match;
  if (!isService(service)) return { kind: 'unknown-service', service: service.slice(0, 100) };
  // `/v1/../metrics` must not slip past the check: refuse dot segments and encoded slashes outright.
  if (/(^|\/)\.\.?(\/|$)|%2e|%2f|%5c|\\/i.test(rest))
    return { kind: 'not-forwarded', service, path: rest.slice(0, 200) };
  if (!FORWARDED_PATHS.some((pattern) => pattern.test(rest))) {
    return { kind: 'not-forwarded', service, path: rest.slice(0, 200) };
  }
  return { kind: 'forward', service, path: `${rest}${query}` };
}

/** The rate-limit bucket of a forwarded request: sign-in calls have a tighter one. */
export function rateLimitBucket(route: { service: GatewayService; path: string }): 'auth' | 'api' {
  return route.service === 'authorization' && /^\/v1\/auth\//.test(route.path) ? 'auth' : 'api';
}
