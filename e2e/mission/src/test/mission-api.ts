import { randomBytes } from 'node:crypto';
import { uniqueName } from '@warden/testing';
import { generate } from 'otplib';

export type Service = 'authorization' | 'customer-records' | 'exports' | 'offboarding' | 'anomaly-alerting' | 'audit';
export type Answer<T> = { status: number; body: T; text: string; headers: Headers };
export type Person = { id: string; username: string; password: string };

/** Where a person connects from: the address the load balancer (the test) puts in X-Forwarded-For, and their device. */
export type Origin = { ip?: string; deviceId?: string };

export type CallInit = Origin & {
  token?: string;
  method?: string;
  body?: unknown;
  /** A body sent as it is (e.g. a CSV upload) with this content type. */
  contentType?: string;
};

/** The public HTTP API of the stack: every call goes through the gateway (`/api/<service>/…`). */
export function missionApi(gatewayUrl: string) {
  const call = async <T = Record<string, unknown>>(service: Service, path: string, init: CallInit = {}): Promise<Answer<T>> => {
    const raw = init.contentType !== undefined;
    const res = await fetch(`${gatewayUrl}/api/${service}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': init.contentType ?? 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.ip ? { 'x-forwarded-for': init.ip } : {}),
        ...(init.deviceId ? { 'x-device-id': init.deviceId } : {}),
      },
      body: init.body === undefined ? undefined : raw ? (init.body as string) : JSON.stringify(init.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a file, an HTML report): kept as text
    }
    return { status: res.status, body: body as T, text, headers: res.headers };
  };

  /** The answer's body when its status is the one expected; otherwise an error naming the call and the answer. */
  const expectOk = async <T = Record<string, unknown>>(
    what: string,
    status: number,
    answer: Promise<Answer<T>>,
  ): Promise<T> => {
    const got = await answer;
    if (got.status !== status) throw new Error(`${what}: expected ${status}, got ${got.status} ${got.text.slice(0, 500)}`);
    return got.body;
  };

  const login = async (person: { username: string; password: string; totp?: string }, origin: Origin = {}): Promise<string> => {
    const body = await expectOk<{ accessToken: string }>(
      `login of ${person.username}`,
      200,
      call('authorization', '/v1/auth/login', {
        ...origin,
        body: { username: person.username, password: person.password, ...(person.totp ? { totp: person.totp } : {}) },
      }),
    );
    return body.accessToken;
  };

  return {
    call,
    expectOk,
    login,
    /** The bootstrap admin's first sign-in: the MFA enrolment its role requires (otplib plays the authenticator app). */
    async enrolAdmin(admin: { username: string; password: string }): Promise<string> {
      const first = await expectOk<{ enrollmentToken: string }>('admin login', 200, call('authorization', '/v1/auth/login', { body: admin }));
      const { enrollmentToken } = first;
      const enrolment = await expectOk<{ secret: string }>(
        'admin MFA enrolment',
        200,
        call('authorization', '/v1/auth/mfa/enroll', { body: { enrollmentToken } }),
      );
      const activated = await expectOk<{ accessToken: string; recoveryCodes: string[] }>(
        'admin MFA activation',
        200,
        call('authorization', '/v1/auth/mfa/activate', { body: { enrollmentToken, totp: await generate({ secret: enrolment.secret }) } }),
      );
      return activated.accessToken;
    },
    async createUser(adminToken: string, input: { prefix: string; roles: string[]; teamId?: string | null }): Promise<Person> {
      const person = { username: uniqueName(input.prefix), password: `${input.prefix}-${randomBytes(12).toString('base64url')}` };
      const created = await expectOk<{ id: string }>(
        `create ${input.prefix}`,
        201,
        call('authorization', '/v1/users', {
          token: adminToken,
          body: {
            ...person,
            displayName: input.prefix,
            email: `${person.username}@example.com`,
            roles: input.roles,
            teamId: input.teamId ?? null,
          },
        }),
      );
      return { id: created.id, ...person };
    },
    async createTeam(adminToken: string, name: string, supervisorId: string): Promise<string> {
      const team = await expectOk<{ id: string }>(
        'create team',
        201,
        call('authorization', '/v1/teams', { token: adminToken, body: { name, parentId: null, supervisorId } }),
      );
      return team.id;
    },
  };
}
export type MissionApi = ReturnType<typeof missionApi>;
