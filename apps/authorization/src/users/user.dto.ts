import { clearanceSchema, MAX_USER_ROLES, roleNameSchema, userStatusSchema } from '@warden/contracts';
import { z } from 'zod';

/** Role names; the service checks that each is a role it knows (defaults and custom). */
const roles = z
  .array(roleNameSchema)
  .min(1, 'must name at least one role')
  .max(MAX_USER_ROLES)
  .transform((r) => [...new Set(r)]);

const usernameField = z
  .string()
  .trim()
  .min(3)
  .max(100)
  .regex(/^[A-Za-z0-9._@-]+$/, 'may contain only letters, digits, dot, underscore, @ and hyphen');

export const createUserBody = z.strictObject({
  username: usernameField,
  /** Checked against the password policy by the service (the message names the rule). */
  password: z.string().max(1024),
  displayName: z.string().trim().min(1, 'must not be empty').max(200),
  email: z.email().max(320),
  roles,
  teamId: z.uuid().nullable().default(null),
  managerId: z.uuid().nullable().default(null),
  clearance: clearanceSchema.default('internal'),
});
export type CreateUserBody = z.infer<typeof createUserBody>;

export const updateUserBody = z
  .strictObject({
    /** A rename; the name must be free (409 USERNAME_TAKEN), a change of case only is allowed. */
    username: usernameField,
    displayName: z.string().trim().min(1, 'must not be empty').max(200),
    email: z.email().max(320),
    roles,
    teamId: z.uuid().nullable(),
    managerId: z.uuid().nullable(),
    clearance: clearanceSchema,
    status: userStatusSchema,
    statusReason: z.string().trim().min(1).max(500),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const listUsersQuery = z.strictObject({
  username: z.string().trim().min(1).max(100).optional(),
  teamId: z.uuid().optional(),
  status: userStatusSchema.optional(),
  cursor: z.uuid({ message: 'must be the nextCursor of a previous page' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;

export const userIdParam = z.uuid({ message: 'must be a user id (UUID)' });

export type UserView = {
  id: string;
  username: string;
  displayName: string;
  email: string;
  roles: string[];
  teamId: string | null;
  managerId: string | null;
  clearance: string;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export type Page<T> = { items: T[]; nextCursor: string | null };
