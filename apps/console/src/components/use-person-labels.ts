import { useQueries } from '@tanstack/react-query';
import { DIRECTORY_ROLES, hasRole } from '../auth/jwt.util';
import { useClaims, useConsole } from '../console-context';
import type { User } from '../api/authorization.api';
import { personLabel } from '../lib/grants.util';

/**
 * How to name each of `userIds` on screen: the name already `known` (a grant list names its
 * grantees), else display and user name from the directory when the caller's role may read it
 * (admin, HR, security officer), `you` for the caller, else the whole user id. A person the directory does not answer for keeps their id.
 */
export function usePersonLabels(
  userIds: readonly string[],
  /** Names already known (e.g. a grant's `grantee`): used first, not looked up. */
  known: ReadonlyMap<string, Pick<User, 'displayName' | 'username'>> = new Map(),
): {
  label: (userId: string) => string;
  /** False when the caller's role may not read the directory (names cannot be shown). */
  directory: boolean;
} {
  const claims = useClaims();
  const { authorization } = useConsole();
  const directory = hasRole(claims, ...DIRECTORY_ROLES);
  const ids = [...new Set(userIds)].filter((id) => id !== claims?.userId && !known.has(id)).sort();
  const users = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['user', id],
      queryFn: () => authorization.user(id),
      enabled: directory,
      staleTime: 60_000,
      retry: false,
    })),
  });
  const byId = new Map(ids.map((id, i) => [id, users[i]?.data ?? null]));
  return { label: (userId) => personLabel(userId, claims?.userId, known.get(userId) ?? byId.get(userId)), directory };
}
