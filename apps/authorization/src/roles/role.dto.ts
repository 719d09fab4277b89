import { roleNameSchema } from '@warden/contracts';
import { z } from 'zod';
import { permissionsBody } from '../policy/policy.dto';

const definition = {
  description: z.string().trim().max(500),
  permissions: permissionsBody,
  mfaRequired: z.boolean(),
};

export const createRoleBody = z.strictObject({ name: roleNameSchema, ...definition });
export type CreateRoleBody = z.infer<typeof createRoleBody>;

export const updateRoleBody = z.strictObject(definition);
export type UpdateRoleBody = z.infer<typeof updateRoleBody>;

export const roleNameParam = roleNameSchema;

export type RoleView = {
  name: string;
  description: string;
  permissions: unknown[];
  mfaRequired: boolean;
  builtIn: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
};
