import { createBreaker, ServiceUnavailableError } from '@warden/platform';
import { z } from 'zod';
import type { DirectoryTeam, DirectoryUser } from '../case/case-validation.util';
import { callService, type ServiceCall } from './service-http.util';
import type { ServiceTokenClient } from '@warden/security';

const CALL_TIMEOUT_MS = 3000;

const userSchema = z.object({
  id: z.string(),
  status: z.string(),
  teamId: z.string().nullable(),
  managerId: z.string().nullable(),
});
const pageSchema = z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() });
const teamSchema = z.array(z.object({ id: z.string(), parentId: z.string().nullable() }));

/** An answer in a shape this service does not know is the other side's failure (503), not ours (500). */
function shaped<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ServiceUnavailableError(`authorization answered ${what} in an unknown shape`);
  return parsed.data;
}

/**
 * The authorization service as the offboarding saga uses it, every call through one circuit
 * breaker (`authorization`): an open circuit or a timeout is a 503 `SERVICE_UNAVAILABLE`.
 */
export class DirectoryClient {
  private readonly fire: (call: ServiceCall) => Promise<unknown>;

  constructor(baseUrl: string, tokens: ServiceTokenClient) {
    this.fire = createBreaker((call: ServiceCall) => callService<unknown>('authorization', baseUrl, tokens, call, CALL_TIMEOUT_MS), {
      name: 'authorization',
      timeout: CALL_TIMEOUT_MS * 2 + 500,
    }).fire;
  }

  /** A user, or null when there is none. */
  async user(userId: string): Promise<DirectoryUser | null> {
    const body = await this.fire({ method: 'GET', path: `/v1/users/${encodeURIComponent(userId)}`, nullOn: [404] });
    return body === null ? null : shaped(userSchema, body, 'a user lookup');
  }

  async teams(): Promise<DirectoryTeam[]> {
    return shaped(teamSchema, await this.fire({ method: 'GET', path: '/v1/teams' }), 'the team list');
  }

  /** The members of a team (every page). */
  async teamMembers(teamId: string): Promise<DirectoryUser[]> {
    const members: DirectoryUser[] = [];
    let cursor: string | null = null;
    do {
      const query: URLSearchParams = new URLSearchParams({ teamId, limit: '200', ...(cursor ? { cursor } : {}) });
      const page: z.infer<typeof pageSchema> = shaped(pageSchema, await this.fire({ method: 'GET', path: `/v1/users?${query.toString()}` }), 'a user list');
      members.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && members.length < 5000);
    return members;
  }

  /**
   * Clears the departing mark (the case was cancelled before it took effect; idempotent at the
   * authorization service). An unknown or already offboarded user has no mark to clear: no error.
   */
  async cancelDeparture(userId: string, reason: string): Promise<void> {
    await this.fire({
      method: 'POST',
      path: `/v1/users/${encodeURIComponent(userId)}/departing/cancel`,
      body: { reason },
      nullOn: [404],
      nullOnCodes: ['USER_OFFBOARDED'],
    });
  }
}
