import { baseConfigSchema, loadConfig, portSchema } from '@warden/platform';
import { z } from 'zod';

export const customerRecordsConfigSchema = baseConfigSchema.extend({
  CUSTOMER_RECORDS_PORT: portSchema(3002),
  CUSTOMER_RECORDS_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('customer_records'),
});
export type CustomerRecordsConfig = z.infer<typeof customerRecordsConfigSchema>;

export const loadCustomerRecordsConfig = (env: NodeJS.ProcessEnv = process.env): CustomerRecordsConfig =>
  loadConfig(customerRecordsConfigSchema, env);
