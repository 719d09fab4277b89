import { OffboardingError, OffboardingErrorCode } from './offboarding.exception';

/** What the offboarding service reads of a user from the authorization service. */
export type DirectoryUser = {
  id: string;
  status: string;
  teamId: string | null;
  managerId: string | null;
};
export type DirectoryTeam = { id: string; parentId: string | null };

/** Statuses a successor may have: one who is leaving or cannot sign in cannot take customers over. */
const AVAILABLE_STATUSES = new Set(['active']);

/**
 * Pure: whether a successor's team lies within the leaver's team's allowed scope: the leaver's team
 * itself, a team under it (any depth) or a team above it (its supervisors' teams). A leaver without
 * a team may hand over only to a user without a team (nothing to compare, so nothing wider).
 */
export function isWithinTeamScope(
  leaverTeamId: string | null,
  successorTeamId: string | null,
  teams: readonly DirectoryTeam[],
): boolean {
  if (leaverTeamId === null || successorTeamId === null) return leaverTeamId === successorTeamId;
  if (leaverTeamId === successorTeamId) return true;
  const parentOf = new Map(teams.map((t) => [t.id, t.parentId]));
  const isAncestor = (ancestor: string, of: string): boolean => {
    const seen = new Set<string>();
    for (let at = parentOf.get(of) ?? null; at !== null && !seen.has(at); at = parentOf.get(at) ?? null) {
      if (at === ancestor) return true;
      seen.add(at);
    }
    return false;
  };
  return isAncestor(leaverTeamId, successorTeamId) || isAncestor(successorTeamId, leaverTeamId);
}

/** Pure: the leaver may be offboarded (exists, not offboarded yet). */
export function validateLeaver(userId: string, leaver: DirectoryUser | null): DirectoryUser {
  if (!leaver) throw new OffboardingError(OffboardingErrorCode.UnknownUser, `user ${userId} does not exist`);
  if (leaver.status === 'offboarded') {
    throw new OffboardingError(OffboardingErrorCode.UserAlreadyOffboarded, `user ${userId} is already offboarded`);
  }
  return leaver;
}

/** Pure: a named successor may take the leaver's customers over. */
export function validateSuccessor(
  leaver: DirectoryUser,
  successorId: string,
  successor: DirectoryUser | null,
  teams: readonly DirectoryTeam[],
): void {
  if (successorId === leaver.id) {
    throw new OffboardingError(OffboardingErrorCode.SuccessorIsLeaver, `the successor cannot be the leaver (${successorId})`);
  }
  if (!successor) {
    throw new OffboardingError(OffboardingErrorCode.UnknownSuccessor, `successor ${successorId} does not exist`);
  }
  if (!AVAILABLE_STATUSES.has(successor.status)) {
    throw new OffboardingError(
      OffboardingErrorCode.SuccessorUnavailable,
      `successor ${successorId} is ${successor.status} and cannot take customers over`,
    );
  }
  if (!isWithinTeamScope(leaver.teamId, successor.teamId, teams)) {
    throw new OffboardingError(
      OffboardingErrorCode.SuccessorOutOfScope,
      `successor ${successorId} is outside the allowed scope of the leaver's team (same team, a team under it or above it)`,
    );
  }
}

/**
 * Pure: a successor pool (a team whose active members share the customers) may be used. Returns
 * the members who will receive customers.
 */
export function validatePool(
  leaver: DirectoryUser,
  poolId: string,
  members: readonly DirectoryUser[],
  teams: readonly DirectoryTeam[],
): string[] {
  if (!teams.some((t) => t.id === poolId)) {
    throw new OffboardingError(OffboardingErrorCode.UnknownPool, `successor pool ${poolId} is not a team`);
  }
  if (!isWithinTeamScope(leaver.teamId, poolId, teams)) {
    throw new OffboardingError(
      OffboardingErrorCode.SuccessorOutOfScope,
      `successor pool ${poolId} is outside the allowed scope of the leaver's team (same team, a team under it or above it)`,
    );
  }
  const available = members.filter((m) => m.id !== leaver.id && AVAILABLE_STATUSES.has(m.status)).map((m) => m.id);
  if (available.length === 0) {
    throw new OffboardingError(OffboardingErrorCode.EmptyPool, `successor pool ${poolId} has no active member other than the leaver`);
  }
  return available.slice(0, 500);
}
