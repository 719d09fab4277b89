import { BlindIndexer, StaticKeyProvider } from '@warden/crypto';
import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

/** Adds an issue with the library's message (which never contains key material) when `check` throws. */
const validKey = (check: (value: string) => unknown) => (value: string, ctx: z.RefinementCtx) => {
  try {
    check(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
};

export const customerRecordsConfigSchema = baseConfigSchema.extend({
  CUSTOMER_RECORDS_PORT: portSchema(3002),
  CUSTOMER_RECORDS_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('customer_records'),
  /** Keyring `1:<base64 32 bytes>,2:…` wrapping each customer's data key; the highest version wraps. */
  WARDEN_KEKS: z
    .string({ message: 'is required (keyring "1:<base64 of 32 random bytes>")' })
    .superRefine(validKey((value) => StaticKeyProvider.fromKeyring(value))),
  /** The authorization service, which serves each caller's compiled ability (`/v1/users/:id/ability`). */
  AUTHORIZATION_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s):// URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://127.0.0.1:3001'),
  /**
   * How often each instance looks for running imports no process holds (one whose process died, or
   * that an error interrupted) and resumes them (ms).
   */
  CUSTOMER_RECORDS_IMPORT_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /**
   * Base64 of 32 random bytes: the HMAC key of the blind indexes (mobile, email, national ID).
   * Required in every environment: nothing is derived when it is unset, since changing it means
   * re-indexing every customer.
   */
  CUSTOMER_RECORDS_BLIND_INDEX_KEY: z
    .string({ message: 'is required (base64 of 32 random bytes, the blind index key)' })
    .superRefine(validKey((value) => BlindIndexer.fromBase64(value))),
});
export type CustomerRecordsConfig = z.infer<typeof customerRecordsConfigSchema>;

export const loadCustomerRecordsConfig = (env: NodeJS.ProcessEnv = process.env): CustomerRecordsConfig =>
  loadConfig(customerRecordsConfigSchema, env);
