import { CUSTOMER_CLASSIFICATIONS } from '@warden/contracts';
import { z } from 'zod';
import { ACTIONS, FIELD_LEVELS, SUBJECTS, type CompiledAbility } from '../policy/policy.types';

const instant = z.iso.datetime({ offset: true });

/**
 * The JSON shape of a compiled ability (`compileAbility` output) as it arrives over HTTP or from
 * the Redis cache. Conditions are strict: an attribute this code does not know could only be
 * ignored, which would widen a rule, so it is refused instead (fail closed).
 */
export const compiledAbilitySchema = z.object({
  userId: z.string().min(1),
  policyVersion: z.number().int().nonnegative().optional(),
  rules: z.array(
    z.object({
      action: z.array(z.enum(ACTIONS)).min(1),
      subject: z.enum(SUBJECTS),
      inverted: z.boolean(),
      conditions: z
        .strictObject({
          ownerId: z.string().optional(),
          teamId: z.strictObject({ in: z.array(z.string()) }).optional(),
          classification: z.strictObject({ in: z.array(z.enum(CUSTOMER_CLASSIFICATIONS)) }).optional(),
          sharedWith: z.strictObject({ contains: z.string() }).optional(),
        })
        .optional(),
      fields: z.record(z.string(), z.enum(FIELD_LEVELS)).optional(),
      source: z.object({ kind: z.enum(['role', 'grant']), id: z.string() }),
      expiresAt: instant.optional(),
    }),
  ),
  validUntil: instant.nullable(),
});

/** The compiled ability in `value`, or `null` when it does not have the expected shape. */
export function parseCompiledAbility(value: unknown): CompiledAbility | null {
  const result = compiledAbilitySchema.safeParse(value);
  return result.success ? (result.data as CompiledAbility) : null;
}
