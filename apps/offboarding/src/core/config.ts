import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

const url = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
    .transform((value) => value.replace(/\/+$/, ''))
    .default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const offboardingConfigSchema = baseConfigSchema.extend({
  OFFBOARDING_PORT: portSchema(3004),
  OFFBOARDING_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('offboarding'),
  /** The authorization service: users, teams, clearing a departing mark, service tokens. */
  AUTHORIZATION_URL: url('http://127.0.0.1:3001'),
  /** This service's client at the authorization service (`POST /v1/auth/service-token`). */
  SERVICE_CLIENT_ID: z.string().min(1).max(100).default('offboarding'),
  SERVICE_CLIENT_SECRET: z
    .string({ message: 'is required (the secret of the offboarding service client at the authorization service)' })
    .min(16, 'must be at least 16 characters'),
  /** How often the saga looks for due work (scheduled cases, retries); appends wake it at once. */
  OFFBOARDING_SAGA_POLL_MS: positiveInt(500),
  /** Failed attempts of one step before the case needs attention. */
  OFFBOARDING_MAX_ATTEMPTS: positiveInt(5),
  OFFBOARDING_RETRY_INITIAL_MS: positiveInt(1000),
  OFFBOARDING_RETRY_MAX_MS: positiveInt(60_000),
  /** A hand-over without any answer from customer-records for this long counts as a failed attempt (the command is sent again). */
  OFFBOARDING_HANDOVER_TIMEOUT_MS: positiveInt(60_000),
  /**
   * A step's commands (mark departing, freeze, report) unanswered for this long count as a failed
   * attempt (sent again). The leaver is refused everywhere before the freeze commands leave.
   */
  OFFBOARDING_ANSWER_TIMEOUT_MS: positiveInt(30_000),
  /** Days of activity in the leaver report. */
  OFFBOARDING_REPORT_DAYS: z.coerce.number().int().min(1).max(366).default(90),
  /** A team whose active members share the customers of users deprovisioned by SCIM (instead of their manager). */
  OFFBOARDING_SCIM_SUCCESSOR_POOL_ID: z.uuid().optional(),
});
export type OffboardingConfig = z.infer<typeof offboardingConfigSchema>;

export const loadOffboardingConfig = (env: NodeJS.ProcessEnv = process.env): OffboardingConfig =>
  loadConfig(offboardingConfigSchema, env);
