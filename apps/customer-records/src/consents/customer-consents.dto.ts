import { consentPurposeSchema } from '@warden/contracts';
import { z } from 'zod';

/** `POST /v1/customers/:id/consents`: a consent given (`granted: true`) or withdrawn. */
export const recordConsentBody = z.strictObject({
  purpose: consentPurposeSchema,
  templateVersion: z.string().trim().min(1, 'must not be empty').max(50),
  granted: z.boolean({ message: 'must be true (given) or false (withdrawn)' }),
});
export type RecordConsentBody = z.infer<typeof recordConsentBody>;

export type ConsentView = {
  purpose: string;
  granted: boolean;
  templateVersion: string;
  recordedBy: string;
  recordedAt: string;
};

/** The current consent per purpose and every change, oldest first. */
export type ConsentsView = { current: ConsentView[]; history: ConsentView[] };
