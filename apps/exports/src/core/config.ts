import { StaticKeyProvider } from '@warden/crypto';
import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const url = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
    .transform((value) => value.replace(/\/+$/, ''))
    .default(fallback);

/** Approval settings one team may override (see `EXPORTS_TEAM_POLICIES`). */
export const teamPolicyOverrideSchema = z.strictObject({
  rowThreshold: z.number().int().min(0).optional(),
  dailyRowQuota: z.number().int().min(0).optional(),
  clearSensitiveNeedsApproval: z.boolean().optional(),
  departingNeedsApproval: z.boolean().optional(),
  openAlertNeedsApproval: z.boolean().optional(),
});
export type TeamPolicyOverride = z.infer<typeof teamPolicyOverrideSchema>;

const teamPolicies = z
  .string()
  .default('{}')
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<teamId>": {"rowThreshold": 500, …}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1).max(200), teamPolicyOverrideSchema));

export const exportsConfigSchema = baseConfigSchema.extend({
  EXPORTS_PORT: portSchema(3003),
  EXPORTS_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('exports'),
  /** Keyring `1:<base64 32 bytes>,…`: wraps the data key of every export file. */
  WARDEN_KEKS: z.string({ message: 'is required (keyring "1:<base64 of 32 random bytes>")' }).superRefine((value, ctx) => {
    try {
      StaticKeyProvider.fromKeyring(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  /** Base64 of at least 32 random bytes: the HMAC key of file fingerprints (decoy rows, per-row marks). */
  EXPORTS_FINGERPRINT_KEY: z
    .string({ message: 'is required (base64 of 32 random bytes, the fingerprint key)' })
    .refine((value) => Buffer.from(value, 'base64').length >= 32, 'must be base64 of at least 32 bytes'),
  AUTHORIZATION_URL: url('http://127.0.0.1:3001'),
  CUSTOMER_RECORDS_URL: url('http://127.0.0.1:3002'),
  /** This service's client credentials at the authorization service (`POST /v1/auth/service-token`). */
  SERVICE_CLIENT_ID: z.string().min(1).default('exports'),
  SERVICE_CLIENT_SECRET: z.string({ message: 'is required (the exports service client secret)' }).min(16, 'must have at least 16 characters'),
  /** Where encrypted export files are written (created if missing). */
  EXPORTS_DIR: z.string().min(1).default(join(homedir(), '.cache', 'warden', 'exports')),
  /** How long a generated file is kept when it is not downloaded (days). */
  EXPORTS_RETENTION_DAYS: z.coerce.number().positive().default(7),
  /** How long an approval request stays open (hours). */
  EXPORTS_APPROVAL_TTL_HOURS: z.coerce.number().positive().default(24),
  /** Lifetime of a one-time download link (minutes). */
  EXPORTS_LINK_TTL_MINUTES: z.coerce.number().positive().max(60).default(15),
  /** An `ExportProgressed` event every this many rows. */
  EXPORTS_PROGRESS_EVERY: z.coerce.number().int().min(100).default(10_000),
  /** A worker's claim on a generation; a crashed worker's export is re-run after it lapses (ms). */
  EXPORTS_WORKER_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often the worker looks for queued exports and the sweepers run (ms). */
  EXPORTS_POLL_MS: z.coerce.number().int().min(50).default(1000),
  /** Generations run at the same time by one instance. */
  EXPORTS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** Default approval policy (per-team overrides in EXPORTS_TEAM_POLICIES). */
  EXPORTS_ROW_THRESHOLD: z.coerce.number().int().min(0).default(200),
  EXPORTS_DAILY_ROW_QUOTA: z.coerce.number().int().min(0).default(5000),
  EXPORTS_TEAM_POLICIES: teamPolicies,
  /** One decoy row per this many real rows (at least one per file). */
  EXPORTS_DECOY_EVERY: z.coerce.number().int().min(10).default(200),
});
export type ExportsConfig = z.infer<typeof exportsConfigSchema>;

export const loadExportsConfig = (env: NodeJS.ProcessEnv = process.env): ExportsConfig =>
  loadConfig(exportsConfigSchema, env);
