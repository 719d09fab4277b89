import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * The Content-Security-Policy the console runs under: scripts, connections, fonts and images only
 * from this origin (no inline script, no eval). Styles also allow inline: Mantine sets CSS
 * variables in a <style> element and components use style attributes (recharts too); an inline
 * style cannot run code. No frames of the console anywhere (clickjacking), no plugins, forms only
 * to this origin.
 */
export const CONSOLE_CSP_DIRECTIVES: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'"],
  manifestSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** helmet with the console's CSP; `no-referrer` so no URL (and its query) leaks to another site. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  }) as RequestHandler;
}
