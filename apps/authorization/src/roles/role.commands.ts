import type { PermissionData } from '@warden/contracts';

export type RoleDefinitionData = {
  name: string;
  description: string;
  permissions: PermissionData[];
  mfaRequired: boolean;
};

export type DefineRole = { type: 'DefineRole'; data: RoleDefinitionData & { builtIn: boolean } };

export type UpdateRole = { type: 'UpdateRole'; data: RoleDefinitionData };

export type RoleCommand = DefineRole | UpdateRole;
