import type { TeamEvent } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import { decide, evolve, initialTeamState, type TeamState } from './team.decider';
import { TeamError, TeamErrorCode } from './team.exception';

const teamId = uuidv7();
const data = { teamId, name: 'Retail East', parentId: null, supervisorId: null };
const created: TeamEvent = { type: 'TeamCreated', data };

describe('Team', () => {
  describe('CreateTeam', () => {
    it('given no team, records TeamCreated', () => {
      expect(decide({ type: 'CreateTeam', data }, initialTeamState)).toEqual([created]);
    });

    it('given the team exists, refuses with TEAM_ALREADY_EXISTS (409)', () => {
      const state = [created].reduce<TeamState>(evolve, initialTeamState);
      expect(() => decide({ type: 'CreateTeam', data }, state)).toThrow(TeamError);
      expect(() => decide({ type: 'CreateTeam', data }, state)).toThrow(expect.objectContaining({ code: TeamErrorCode.AlreadyExists, status: 409 }));
    });

    it('refuses a team that is its own parent', () => {
      expect(() => decide({ type: 'CreateTeam', data: { ...data, parentId: teamId } }, initialTeamState)).toThrow(
        expect.objectContaining({ code: TeamErrorCode.InvalidReference }),
      );
    });
  });
});
