import { customerFilterSchema } from '@warden/contracts';
import { z } from 'zod';
import { CUSTOMER_VIEW_FIELDS } from '../customer/customer-view.util';

const fieldName = z.enum(CUSTOMER_VIEW_FIELDS, { message: `must be one of ${CUSTOMER_VIEW_FIELDS.join(', ')}` });

/**
 * `POST /internal/v1/customers/stream` and `/count`: the customers `filter` selects within the
 * view of `onBehalfOf`, with `fields` at that user's levels (`clearFields` in clear, which needs
 * their clear level; other sensitive fields masked). `id` and `version` are always returned.
 */
export const customerStreamBody = z
  .strictObject({
    onBehalfOf: z
      .string()
      .min(1)
      .max(200)
      .refine((id) => !id.startsWith('system:'), 'must be a user, not a service principal'),
    purposeId: z.string().trim().min(1, 'must not be empty').max(200),
    filter: customerFilterSchema.default({}),
    fields: z.array(fieldName).min(1, 'must name at least one field').max(CUSTOMER_VIEW_FIELDS.length),
    clearFields: z.array(fieldName).max(CUSTOMER_VIEW_FIELDS.length).default([]),
  })
  .superRefine((body, ctx) => {
    const outside = body.clearFields.filter((field) => !body.fields.includes(field));
    if (outside.length) {
      ctx.addIssue({ code: 'custom', path: ['clearFields'], message: `${outside.join(', ')} not in fields` });
    }
  });
export type CustomerStreamBody = z.infer<typeof customerStreamBody>;
