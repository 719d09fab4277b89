import { z } from 'zod';

export const createTeamBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  parentId: z.uuid().nullable().default(null),
  supervisorId: z.uuid().nullable().default(null),
});
export type CreateTeamBody = z.infer<typeof createTeamBody>;

export type TeamView = {
  id: string;
  name: string;
  parentId: string | null;
  supervisorId: string | null;
  version: number;
  createdAt: string;
};
