import { ALERT_RULES, ALERT_STATUSES, SEVERITIES } from '@warden/contracts';
import { z } from 'zod';
import { decodeCursor } from './alert-query.service';

/** `a,b` or repeated `?x=a&x=b`. */
const many = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

export const alertListQuery = z.strictObject({
  status: many(ALERT_STATUSES).optional(),
  severity: many(SEVERITIES).optional(),
  rule: many(ALERT_RULES).optional(),
  userId: z.string().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(100)
    .transform((value, ctx) => {
      const seq = decodeCursor(value);
      if (seq === null) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
        return z.NEVER;
      }
      return seq;
    })
    .optional(),
});
export type AlertListQuery = z.infer<typeof alertListQuery>;

export const alertIdParam = z.uuid({ message: 'must be an alert id (UUID)' });

export const resolveAlertBody = z.strictObject({
  resolution: z.enum(['resolved', 'false_positive']),
  comment: z.string().trim().max(1000).nullable().default(null),
});
export type ResolveAlertBody = z.infer<typeof resolveAlertBody>;
