export type CreateTeam = {
  type: 'CreateTeam';
  data: { teamId: string; name: string; parentId: string | null; supervisorId: string | null };
};

export type TeamCommand = CreateTeam;
