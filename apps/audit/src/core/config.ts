import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

const schemaName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase Postgres schema name');

/** Retention is never shorter than this (months): the trail must outlive an investigation. */
export const MIN_RETENTION_MONTHS = 6;

export const auditConfigSchema = baseConfigSchema.extend({
  AUDIT_PORT: portSchema(3006),
  AUDIT_DB_SCHEMA: schemaName.default('audit'),
  /** Schema of the audit's outgoing log (signed checkpoints and chain alerts); default `<AUDIT_DB_SCHEMA>_outbox`. */
  AUDIT_OUTBOX_DB_SCHEMA: schemaName.optional(),
  /**
   * Base64 of the 32-byte Ed25519 private key (seed) that signs checkpoints. Required: a missing key
   * would mean unsigned, worthless checkpoints. `npm start` generates one for development.
   */
  AUDIT_SIGNING_KEY: z
    .string({ message: 'is required (base64 of a 32-byte Ed25519 seed)' })
    .refine((value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32, {
      message: 'must be base64 of exactly 32 bytes (an Ed25519 seed)',
    }),
  /** How often a signed checkpoint is published when the tree grew. */
  AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(200).max(86_400_000).default(60_000),
  /** Months the trail is kept; whole month partitions older than that are dropped. At least 6. */
  AUDIT_RETENTION_MONTHS: z.coerce
    .number()
    .int()
    .min(MIN_RETENTION_MONTHS, `must be at least ${MIN_RETENTION_MONTHS} months`)
    .max(1200)
    .default(36),
  /** Monthly partitions created ahead of the current month. */
  AUDIT_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** How often partitions are created ahead, retention applied and period-end reports generated. */
  AUDIT_MAINTENANCE_INTERVAL_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /** Most rows one export of a search may hold. */
  AUDIT_EXPORT_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  /** The authorization service, which serves each reader's compiled ability (which trail fields they see). */
  AUTHORIZATION_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://127.0.0.1:3001'),
  /** Most events the consumer indexes in one transaction (a larger Kafka batch is split). */
  AUDIT_INDEX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  /**
   * Worker threads that rehash events during verification (0: the main thread does). Worth it only
   * where cores are idle: on a busy 2-core machine the main thread alone is faster (bench/README.md).
   */
  AUDIT_VERIFY_WORKERS: z.coerce.number().int().min(0).max(16).default(0),
  /** `false` turns the Kafka consumer off (a read-only instance, or the verify command). */
  AUDIT_CONSUME: z.stringbool().default(true),
});
export type AuditConfig = z.infer<typeof auditConfigSchema>;

export const loadAuditConfig = (env: NodeJS.ProcessEnv = process.env): AuditConfig => loadConfig(auditConfigSchema, env);

export const outboxSchemaOf = (config: Pick<AuditConfig, 'AUDIT_DB_SCHEMA' | 'AUDIT_OUTBOX_DB_SCHEMA'>): string =>
  config.AUDIT_OUTBOX_DB_SCHEMA ?? `${config.AUDIT_DB_SCHEMA}_outbox`;
