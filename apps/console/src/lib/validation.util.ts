import { z } from 'zod';

/** `{field: message}` for the first problem of each field, or null when the input is valid. */
export type FieldErrors = Record<string, string>;

export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.infer<S> } | { ok: false; errors: FieldErrors } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.') || 'form';
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

export const signInSchema = z.object({
  username: z.string().trim().min(1, 'Enter your user name').max(100, 'At most 100 characters'),
  password: z.string().min(1, 'Enter your password').max(1024, 'At most 1024 characters'),
});

/** A code of the authenticator app, or a recovery code (`xxxx-xxxx-xxxx-xxxx`, case and dashes free). */
export const secondFactorSchema = z
  .string()
  .trim()
  .regex(
    /^(\d{6}|[a-zA-Z2-7]{4}(-?[a-zA-Z2-7]{4}){3})$/,
    'Enter the 6-digit code of your authenticator app, or a recovery code',
  );

export const totpCodeSchema = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6-digit code your authenticator app shows');

export const revealReasonSchema = z
  .string()
  .trim()
  .min(10, 'Say why you need the value in clear (at least 10 characters): it goes into the audit trail')
  .max(500, 'At most 500 characters');

export const customerSearchSchema = z.object({
  field: z.enum(['mobile', 'email', 'nationalId'], { message: 'Choose what to search by' }),
  value: z.string().trim().min(1, 'Enter the exact value to search for').max(254, 'At most 254 characters'),
});

export const createUserSchema = z.object({
  username: z
    .string()
    .trim()
    .min(3, 'At least 3 characters')
    .max(100, 'At most 100 characters')
    .regex(/^[A-Za-z0-9._@-]+$/, 'Only letters, digits, dot, underscore, @ and hyphen'),
  displayName: z.string().trim().min(1, 'Enter a display name').max(200, 'At most 200 characters'),
  email: z.email({ message: 'Enter an e-mail address' }).max(320),
  password: z.string().min(12, 'At least 12 characters').max(256, 'At most 256 characters'),
  roles: z.array(z.string()).min(1, 'Choose at least one role'),
  teamId: z.string().nullable(),
  clearance: z.enum(['public', 'internal', 'confidential', 'restricted']),
});

export const createTeamSchema = z.object({
  name: z.string().trim().min(1, 'Enter a team name').max(200, 'At most 200 characters'),
  parentId: z.string().nullable(),
  supervisorId: z.string().nullable(),
});

const MAX_GRANT_DAYS = 90;

/** A grant request: the expiry must be in the future and at most 90 days ahead of `now`. */
export const grantRequestSchema = (now: Date) =>
  z.object({
    userId: z.uuid({ message: 'Choose the user who gets the grant' }),
    preset: z.string().min(1, 'Choose what the grant allows'),
    reason: z.string().trim().min(1, 'Say why the grant is needed').max(500, 'At most 500 characters'),
    expiresAt: z
      .string()
      .min(1, 'Choose when the grant ends')
      .refine((value) => !Number.isNaN(new Date(value).getTime()), 'Choose a valid date and time')
      .refine((value) => new Date(value).getTime() > now.getTime(), 'The end must be in the future')
      .refine(
        (value) => new Date(value).getTime() <= now.getTime() + MAX_GRANT_DAYS * 86_400_000,
        `A grant lasts at most ${MAX_GRANT_DAYS} days`,
      ),
  });
