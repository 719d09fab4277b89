import { ACTIONS, FIELD_LEVELS, SUBJECTS, type Permission } from '@warden/security';
import { z } from 'zod';

/** A permission, validated against the policy core's vocabulary (libs/security). */
export const permissionBody = z.strictObject({
  action: z.union([z.enum(ACTIONS), z.array(z.enum(ACTIONS)).min(1).max(ACTIONS.length)]),
  subject: z.enum(SUBJECTS),
  conditions: z
    .strictObject({
      owner: z.literal('me').optional(),
      team: z.literal('mine').optional(),
      classification: z.literal('within-clearance').optional(),
      sharedWithMe: z.literal(true).optional(),
    })
    .optional(),
  fields: z
    .record(z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9_]{0,63})$/, "must be a field name or '*'"), z.enum(FIELD_LEVELS))
    .refine((fields) => Object.keys(fields).length <= 100, 'at most 100 fields')
    .optional(),
  deny: z.boolean().optional(),
}) satisfies z.ZodType<Permission>;

export const permissionsBody = z.array(permissionBody).max(100);

const resource = z
  .record(z.string().max(100), z.unknown())
  .refine((r) => Object.keys(r).length <= 50, 'at most 50 attributes');

export const decisionsBody = z.strictObject({
  /** A service (client credentials) names the user whose ability decides; a person may only name themself. */
  userId: z.uuid({ message: 'must be a user id (UUID)' }).optional(),
  decisions: z
    .array(z.strictObject({ subject: z.enum(SUBJECTS), action: z.enum(ACTIONS), resource: resource.optional() }))
    .min(1)
    .max(100),
});
export type DecisionsBody = z.infer<typeof decisionsBody>;

export type DecisionResult = { allowed: boolean; fieldLevels?: Record<string, string> };

export const userIdParam = z.uuid({ message: 'must be a user id (UUID)' });
