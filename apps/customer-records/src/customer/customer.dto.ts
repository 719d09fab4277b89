import { classificationSchema } from '@warden/contracts';
import { z } from 'zod';

export const registerCustomerBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  company: z.string().trim().max(200).nullable().default(null),
  tags: z.array(z.string().trim().min(1).max(50)).max(50).default([]),
  classification: classificationSchema.default('internal'),
  ownerId: z.string().min(1).max(200).nullable().default(null),
  teamId: z.string().min(1).max(200).nullable().default(null),
});
export type RegisterCustomerBody = z.infer<typeof registerCustomerBody>;

export const customerIdParam = z.uuid({ message: 'must be a customer id (UUID)' });

export type CustomerView = {
  id: string;
  name: string;
  company: string | null;
  tags: string[];
  classification: string;
  ownerId: string | null;
  teamId: string | null;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};
