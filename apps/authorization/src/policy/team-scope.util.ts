/** A team as the scope computation needs it. */
export type TeamNode = { id: string; parentId: string | null; supervisorId: string | null };

export type ScopeUser = { userId: string; teamId: string | null; roles: readonly string[] };

/**
 * The teams a user acts for (`teamIds` of the policy): their own team, plus every team they
 * supervise with all of its sub-teams. A user supervises a team when the team names them as its
 * supervisor, or when it is their own team and they hold the `supervisor` role. Pure; cycles in the
 * hierarchy (which the service does not create) cannot loop.
 */
export function teamScope(user: ScopeUser, teams: readonly TeamNode[]): string[] {
  const children = new Map<string, string[]>();
  for (const team of teams) {
    if (team.parentId === null) continue;
    const list = children.get(team.parentId) ?? [];
    list.push(team.id);
    children.set(team.parentId, list);
  }
  const supervised = teams.filter((team) => team.supervisorId === user.userId).map((team) => team.id);
  if (user.teamId !== null && user.roles.includes('supervisor')) supervised.push(user.teamId);

  const scope = new Set<string>(user.teamId !== null ? [user.teamId] : []);
  const queue = [...supervised];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    scope.add(id);
    queue.push(...(children.get(id) ?? []));
  }
  return [...scope];
}
