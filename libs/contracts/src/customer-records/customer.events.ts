import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

export const CUSTOMER_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export const classificationSchema = z.enum(CUSTOMER_CLASSIFICATIONS);
export type Classification = z.infer<typeof classificationSchema>;

export const customerRegisteredV1 = z.strictObject({
  customerId: z.uuid(),
  name: z.string().min(1).max(200),
  company: z.string().max(200).nullable(),
  tags: z.array(z.string().min(1).max(50)).max(50),
  classification: classificationSchema,
  ownerId: z.string().max(200).nullable(),
  teamId: z.string().max(200).nullable(),
});
export type CustomerRegisteredData = z.infer<typeof customerRegisteredV1>;

export type CustomerEvent = { type: 'CustomerRegistered'; data: CustomerRegisteredData };

export const customerEventSpecs: EventSpec[] = [
  { type: 'CustomerRegistered', versions: { 1: customerRegisteredV1 } },
];
