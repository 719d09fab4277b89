import type { TeamCreatedData, TeamEvent } from '@warden/contracts';
import type { TeamCommand } from './team.commands';
import { TeamError, TeamErrorCode } from './team.exception';

export type TeamState = { status: 'none' } | ({ status: 'active'; id: string } & Omit<TeamCreatedData, 'teamId'>);

export const initialTeamState: TeamState = { status: 'none' };

/** Pure: what a command on a team produces. */
export function decide(command: TeamCommand, state: TeamState): TeamEvent[] {
  switch (command.type) {
    case 'CreateTeam': {
      if (state.status !== 'none') throw new TeamError(TeamErrorCode.AlreadyExists, `team ${command.data.teamId} already exists`);
      if (command.data.parentId === command.data.teamId) {
        throw new TeamError(TeamErrorCode.InvalidReference, 'body.parentId: a team cannot be its own parent');
      }
      return [{ type: 'TeamCreated', data: { ...command.data } }];
    }
    default: {
      const unknown: never = command.type;
      throw new Error(`unhandled command ${String(unknown)}`);
    }
  }
}

/** Pure: the team's state after an event. */
export function evolve(_state: TeamState, event: TeamEvent): TeamState {
  switch (event.type) {
    case 'TeamCreated': {
      const { teamId, ...rest } = event.data;
      return { status: 'active', id: teamId, ...rest };
    }
    default: {
      const unknown: never = event.type;
      throw new Error(`unhandled event ${String(unknown)}`);
    }
  }
}
