import { StaticKeyProvider } from '@warden/crypto';
import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

export const anomalyAlertingConfigSchema = baseConfigSchema.extend({
  ANOMALY_ALERTING_PORT: portSchema(3005),
  ANOMALY_ALERTING_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('anomaly_alerting'),
  /** Prefix of the detection state's Redis keys (windows, baselines, first-seen sets). */
  ANOMALY_ALERTING_REDIS_PREFIX: z.string().regex(/^[\w:.-]*$/).default('warden:aa:'),
  /**
   * How long an event's detection memo is kept in Redis, so that a redelivery is not counted twice.
   * It only has to cover events detected but not yet committed (committed ones are skipped by the
   * inbox before detection): a retried batch, or an instance killed mid-batch whose partitions
   * move after the session timeout. Each memo holds about 300 bytes to 1 KB, one per event; once
   * its batch commits, it is kept only `ANOMALY_ALERTING_COMMITTED_MEMO_TTL_SECONDS`.
   */
  ANOMALY_ALERTING_MEMO_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
  /**
   * How long a memo is kept after its event's batch has committed: it covers another instance that
   * read the event as unprocessed just before that commit (a rebalance) and applies it now. At
   * 1,000 events/s a minute of memos is about 20–60 MB of Redis.
   */
  ANOMALY_ALERTING_COMMITTED_MEMO_TTL_SECONDS: z.coerce.number().int().min(10).default(60),
  /** Events of one partition handled in one Postgres transaction at most (detection consumer batch mode). */
  ANOMALY_ALERTING_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  /** Partitions one instance handles at once (each batch its own transaction). */
  ANOMALY_ALERTING_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(32).default(3),
  /** The detection consumer's group session: an instance silent this long (killed) has its partitions reassigned. */
  ANOMALY_ALERTING_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /**
   * Days a consumed event's evidence copy is kept when no alert names it (copies an alert names are
   * kept as long as the alert). At least 31: detection remembers where an export was requested for
   * 30 days, so a download-ip-mismatch alert may name a request that old.
   */
  ANOMALY_ALERTING_EVIDENCE_RETENTION_DAYS: z.coerce.number().min(31).default(45),
  /** How often expired evidence copies are deleted (every instance sweeps; they skip each other's rows). */
  ANOMALY_ALERTING_EVIDENCE_SWEEP_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /**
   * Days a finished webhook delivery (delivered, failed after the last attempt, cancelled with its
   * webhook) is kept in the delivery log, counted from when it was queued; pending ones are never
   * deleted. A delivery finishes within hours of being queued (WEBHOOK_MAX_ATTEMPTS back-offs of at
   * most 5 min each).
   */
  ANOMALY_ALERTING_WEBHOOK_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** How often finished webhook deliveries past the retention are deleted (every instance sweeps; they skip each other's rows). */
  ANOMALY_ALERTING_WEBHOOK_DELIVERY_SWEEP_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /** Keyring `1:<base64 32 bytes>,…`: wraps the data keys that encrypt webhook secrets. */
  WARDEN_KEKS: z.string({ message: 'is required (keyring "1:<base64 of 32 random bytes>")' }).superRefine((value, ctx) => {
    try {
      StaticKeyProvider.fromKeyring(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  /** The authorization service, for automated responses. */
  AUTHORIZATION_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://127.0.0.1:3001'),
  /** This service's client credentials for automated responses (`system:anomaly-alerting`); without them responses wait. */
  SERVICE_CLIENT_ID: z.string().min(1).default('anomaly-alerting'),
  SERVICE_CLIENT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Webhook URLs must be https unless this is on (development and tests post to http://127.0.0.1). */
  WEBHOOKS_ALLOW_HTTP: z.stringbool().default(false),
  /** Attempts per webhook delivery before it is given up (back-off doubles from 1 s, capped at 5 min). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
});
export type AnomalyAlertingConfig = z.infer<typeof anomalyAlertingConfigSchema>;

export const loadAnomalyAlertingConfig = (env: NodeJS.ProcessEnv = process.env): AnomalyAlertingConfig =>
  loadConfig(anomalyAlertingConfigSchema, env);
