import { severitySchema } from '@warden/contracts';
import { z } from 'zod';

export const createWebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s):// URL' }).max(2000),
  secret: z.string().min(16, 'must be at least 16 characters').max(200),
  minSeverity: severitySchema.default('low'),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

export const webhookIdParam = z.uuid({ message: 'must be a webhook id (UUID)' });

export type WebhookView = { id: string; url: string; minSeverity: string; createdBy: string; createdAt: string };
export type DeliveryView = {
  id: string;
  eventId: string;
  eventType: string;
  alertId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
};
