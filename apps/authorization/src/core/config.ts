import { StaticKeyProvider } from '@warden/crypto';
import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';
import { parseServiceClients, type ServiceClient } from '../service-clients/service-clients.util';

const seconds = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** Each entry of TRUSTED_PROXIES: an Express `trust proxy` name (loopback, linklocal, uniquelocal), an IP or a CIDR. */
const trustedProxy = z
  .string()
  .regex(/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/, 'each entry must be loopback, linklocal, uniquelocal, an IP or a CIDR');

/**
 * AUTH_ISSUER and AUTH_AUDIENCE (base config) are also what this service puts in the tokens it signs.
 */
export const authorizationConfigSchema = baseConfigSchema
  .extend({
    AUTHORIZATION_PORT: portSchema(3001),
    AUTHORIZATION_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('authorization'),
    WARDEN_ADMIN_USERNAME: z.string().trim().min(1).max(100).default('admin'),
    /** Required with NODE_ENV=production; elsewhere, without it, no bootstrap admin is created. */
    WARDEN_ADMIN_PASSWORD: z.string().min(1).optional(),
    /** Keyring `1:<base64 32 bytes>,2:…` wrapping the JWT signing keys at rest. */
    WARDEN_KEKS: z.string({ message: 'is required (keyring "1:<base64 of 32 random bytes>")' }).superRefine((value, ctx) => {
      try {
        StaticKeyProvider.fromKeyring(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
    ACCESS_TOKEN_TTL_SECONDS: seconds(900),
    REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 3600),
    /** The platform guard of this service verifies tokens with its own JWKS (default: this process, see below). */
    AUTH_JWKS_URL: z.url().optional(),
    /** Comma-separated; given to Express `trust proxy` (whose X-Forwarded-For is believed). */
    TRUSTED_PROXIES: z
      .string()
      .default('loopback')
      .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
      .pipe(z.array(trustedProxy).min(1)),
    /** Failed logins of one user name before it is locked; each further failure doubles the lock. */
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
    LOGIN_LOCKOUT_BASE_SECONDS: seconds(30),
    LOGIN_LOCKOUT_MAX_SECONDS: seconds(15 * 60),
    /** Failed logins from one IP within the window before further attempts get 429. */
    LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
    LOGIN_IP_WINDOW_SECONDS: seconds(300),
    /**
     * A SCIM bearer token taken from the environment (besides those an admin issues), 32+ characters;
     * empty or unset: none. Kept as a digest only (ScimTokenService).
     */
    WARDEN_SCIM_TOKEN: z
      .string()
      .optional()
      .transform((value) => (value === '' ? undefined : value))
      .pipe(z.string().min(32, 'must be at least 32 characters long (a SCIM bearer token)').optional()),
    /**
     * The services that may obtain a token (`POST /v1/auth/service-token`):
     * `exports=<secret>,offboarding=<secret>,…`, secrets of 32+ characters. Kept as digests only.
     */
    WARDEN_SERVICE_CLIENTS: z
      .string()
      .default('')
      .transform((value, ctx): ServiceClient[] => {
        try {
          return parseServiceClients(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.WARDEN_ADMIN_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: ['WARDEN_ADMIN_PASSWORD'],
        message: 'is required when NODE_ENV=production (the bootstrap admin password)',
      });
    }
  })
  .transform((config) => {
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.AUTHORIZATION_PORT}/.well-known/jwks.json`;
    return { ...config, AUTH_JWKS_URL: config.AUTH_JWKS_URL ?? url };
  });
export type AuthorizationConfig = z.infer<typeof authorizationConfigSchema>;

export const loadAuthorizationConfig = (env: NodeJS.ProcessEnv = process.env): AuthorizationConfig =>
  loadConfig(authorizationConfigSchema, env);
