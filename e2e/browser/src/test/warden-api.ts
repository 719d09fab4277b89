import { randomBytes } from 'node:crypto';
import { uniqueName } from '@warden/testing';
import { generate } from 'otplib';

export type ApiAnswer = { status: number; body: Record<string, unknown> };
export type Person = { id: string; username: string; password: string };

/** JSON calls through the gateway (`/api/<service>/…`), as a script would make them. */
export function wardenApi(gatewayUrl: string) {
  const call = async (
    path: string,
    init: { token?: string; body?: unknown; method?: string } = {},
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };
  const expectStatus = (answer: ApiAnswer, status: number, what: string): Record<string, unknown> => {
    if (answer.status !== status) {
      throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };

  return {
    call,
    expectStatus,
    /** Signs in with a password only (roles without required MFA). */
    async login(person: { username: string; password: string }, totp?: string): Promise<string> {
      const body = expectStatus(
        await call('/api/authorization/v1/auth/login', {
          body: { username: person.username, password: person.password, ...(totp ? { totp } : {}) },
        }),
        200,
        `login of ${person.username}`,
      );
      return body.accessToken as string;
    },
    /** The bootstrap admin's first sign-in: the MFA enrolment its role requires, then its token. */
    async enrolAdmin(admin: { username: string; password: string }): Promise<string> {
      return (await this.enrol(admin)).token;
    },
    /** The first sign-in of a person whose role requires MFA: enrolment, token, secret and recovery codes. */
    async enrol(person: {
      username: string;
      password: string;
    }): Promise<{ token: string; secret: string; recoveryCodes: string[] }> {
      const login = expectStatus(
        await call('/api/authorization/v1/auth/login', {
          body: { username: person.username, password: person.password },
        }),
        200,
        `login of ${person.username}`,
      );
      const enrollmentToken = login.enrollmentToken as string;
      const enrolment = expectStatus(
        await call('/api/authorization/v1/auth/mfa/enroll', { body: { enrollmentToken } }),
        200,
        `enrolment of ${person.username}`,
      );
      const activated = expectStatus(
        await call('/api/authorization/v1/auth/mfa/activate', {
          body: { enrollmentToken, totp: await generate({ secret: enrolment.secret as string }) },
        }),
        200,
        `activation of ${person.username}`,
      );
      return {
        token: activated.accessToken as string,
        secret: enrolment.secret as string,
        recoveryCodes: activated.recoveryCodes as string[],
      };
    },
    async createUser(
      adminToken: string,
      input: { prefix: string; roles: string[]; teamId?: string | null },
    ): Promise<Person> {
      const person = {
        username: uniqueName(input.prefix),
        password: `${input.prefix}-${randomBytes(12).toString('base64url')}`,
      };
      const created = expectStatus(
        await call('/api/authorization/v1/users', {
          token: adminToken,
          body: {
            ...person,
            displayName: input.prefix,
            email: `${person.username}@example.com`,
            roles: input.roles,
            teamId: input.teamId ?? null,
            clearance: 'restricted',
          },
        }),
        201,
        `create ${input.prefix}`,
      );
      return { id: created.id as string, ...person };
    },
    async createTeam(adminToken: string, name: string, supervisorId: string): Promise<string> {
      const team = expectStatus(
        await call('/api/authorization/v1/teams', {
          token: adminToken,
          body: { name, parentId: null, supervisorId },
        }),
        201,
        'create team',
      );
      return team.id as string;
    },
  };
}
export type WardenApi = ReturnType<typeof wardenApi>;

/**
 * The code of the next 30-second step: the authorization service accepts a code up to one step
 * ahead (tolerance 30 s) and each step once, so this one differs from a code just used.
 */
export const nextStepCode = (secret: string): Promise<string> =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
