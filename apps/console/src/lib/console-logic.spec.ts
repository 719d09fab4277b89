import { decodeAccessToken, hasRole } from '../auth/jwt.util';
import { describeUserAgent, formatDateTime, formatExpiry, formatPlace, loginsPerDay } from './format.util';
import { fieldDisplay, looksMasked, revealOutcome } from './masking.util';
import { roleFieldLevels, roleReadsCustomers, withFieldLevel } from './permission-matrix.util';
import {
  createUserSchema,
  customerSearchSchema,
  grantRequestSchema,
  revealReasonSchema,
  secondFactorSchema,
  signInSchema,
  validate,
} from './validation.util';

const token = (payload: unknown) => `x.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.y`;

describe('decodeAccessToken', () => {
  it("reads Warden's claims, including non-ASCII user names", () => {
    expect(
      decodeAccessToken(
        token({ sub: 'u1', sid: 's1', username: 'zoë', roles: ['staff', 7], teamId: 't1', exp: 10 }),
      ),
    ).toEqual({
      userId: 'u1',
      sessionId: 's1',
      username: 'zoë',
      roles: ['staff'],
      teamId: 't1',
      exp: 10,
    });
  });

  it('refuses what is not a token with a subject and an expiry', () => {
    expect(decodeAccessToken('abc')).toBeNull();
    expect(decodeAccessToken('a.%%%.c')).toBeNull();
    expect(decodeAccessToken(token({ sub: 'u1' }))).toBeNull();
    expect(hasRole(null, 'admin')).toBe(false);
    expect(hasRole(decodeAccessToken(token({ sub: 'u', exp: 1, roles: ['hr'] })), 'admin', 'hr')).toBe(true);
  });
});

describe('formatting', () => {
  it('formats dates, expiries, devices and places', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('not a date');
    expect(formatDateTime(new Date(2030, 5, 1, 14, 5).toISOString())).toBe('2030-06-01 14:05');
    const now = new Date('2030-06-01T12:00:00Z');
    expect(formatExpiry('2030-06-04T12:00:00Z', now)).toBe('in 3 days');
    expect(formatExpiry('2030-06-01T17:00:00Z', now)).toBe('in 5 h');
    expect(formatExpiry('2030-06-01T12:12:00Z', now)).toBe('in 12 min');
    expect(formatExpiry('2030-06-01T10:00:00Z', now)).toBe('expired 2 h ago');
    expect(
      describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36'),
    ).toBe('Chrome on Linux');
    expect(describeUserAgent('node')).toBe('a script');
    expect(describeUserAgent(null)).toBe('unknown device');
    expect(formatPlace({ city: 'Berlin', country: 'DE' })).toBe('Berlin, DE');
    expect(formatPlace({ city: null, country: null })).toBe('—');
  });

  it('counts logins per local day over the last days, oldest first', () => {
    const now = new Date(2030, 5, 7, 12);
    const rows = loginsPerDay(
      [
        new Date(2030, 5, 7, 9).toISOString(),
        new Date(2030, 5, 7, 1).toISOString(),
        new Date(2030, 5, 5, 9).toISOString(),
        new Date(2030, 4, 1).toISOString(),
      ],
      now,
      3,
    );
    expect(rows).toEqual([
      { day: '2030-06-05', logins: 1 },
      { day: '2030-06-06', logins: 0 },
      { day: '2030-06-07', logins: 2 },
    ]);
  });
});

describe('masking display', () => {
  it('tells masked, clear, hidden and empty fields apart', () => {
    const view = {
      mobile: '139****0101',
      email: 'owner.a@example.org',
      nationalId: '110101********1234',
      address: 'Springfield',
      company: null,
    };
    expect(fieldDisplay(view, 'mobile')).toEqual({ state: 'masked', text: '139****0101' });
    expect(fieldDisplay(view, 'email')).toEqual({ state: 'clear', text: 'owner.a@example.org' });
    expect(fieldDisplay(view, 'address', new Set(['address']))).toEqual({
      state: 'masked',
      text: 'Springfield',
    });
    expect(fieldDisplay(view, 'company')).toEqual({ state: 'empty', text: '—' });
    expect(fieldDisplay(view, 'ownerId')).toEqual({ state: 'hidden', text: 'not visible to you' });
    expect(looksMasked('o***@example.org')).toBe(true);
    expect(looksMasked('a*b@example.org')).toBe(false);
  });

  it('says whether a reveal answer shows the value in clear', () => {
    expect(revealOutcome('110101********1234', { nationalId: '110101199003071234' }, 'nationalId')).toEqual({
      revealed: true,
      value: '110101199003071234',
    });
    expect(
      revealOutcome('110101********1234', { nationalId: '110101********1234' }, 'nationalId'),
    ).toMatchObject({ revealed: false });
    expect(revealOutcome('Springfield', { address: 'Springfield' }, 'address')).toMatchObject({
      revealed: false,
    });
    expect(revealOutcome('x', {}, 'address')).toEqual({
      revealed: false,
      reason: 'the service did not return this field',
    });
  });
});

describe('field permission matrix', () => {
  const staff = {
    permissions: [
      {
        action: ['read', 'create', 'update'],
        subject: 'Customer',
        conditions: { owner: 'me' },
        fields: { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked' },
      },
      { action: 'export', subject: 'Customer' },
    ],
  } as const;

  it("shows each sensitive field's level, none when not named, capped by a deny with fields", () => {
    expect(roleFieldLevels({ permissions: [...staff.permissions] as never })).toEqual({
      mobile: 'clear',
      email: 'clear',
      nationalId: 'masked',
      address: 'masked',
    });
    expect(
      roleFieldLevels({
        permissions: [{ action: 'read', subject: 'Customer', fields: { '*': 'none', name: 'clear' } }],
      }),
    ).toEqual({
      mobile: 'none',
      email: 'none',
      nationalId: 'none',
      address: 'none',
    });
    expect(
      roleFieldLevels({
        permissions: [
          { action: 'read', subject: 'Customer', fields: { mobile: 'clear' } },
          { action: 'read', subject: 'Customer', deny: true, fields: { mobile: 'masked' } },
        ],
      }).mobile,
    ).toBe('masked');
  });

  it('changes one cell in every read permission of the role and leaves the rest as it was', () => {
    const changed = withFieldLevel({ permissions: [...staff.permissions] as never }, 'nationalId', 'clear');
    expect(changed).not.toBeNull();
    expect(roleFieldLevels({ permissions: changed! })).toEqual({
      mobile: 'clear',
      email: 'clear',
      nationalId: 'clear',
      address: 'masked',
    });
    expect(changed![1]).toEqual(staff.permissions[1]);
    expect(
      withFieldLevel({ permissions: [{ action: 'manage-users', subject: 'User' }] }, 'mobile', 'clear'),
    ).toBeNull();
    expect(roleReadsCustomers({ permissions: [{ action: 'read', subject: 'User' }] })).toBe(false);
  });
});

describe('form validation', () => {
  it('names each problem of a form', () => {
    expect(validate(signInSchema, { username: ' ', password: '' })).toEqual({
      ok: false,
      errors: { username: 'Enter your user name', password: 'Enter your password' },
    });
    expect(validate(secondFactorSchema, '123456')).toEqual({ ok: true, value: '123456' });
    expect(validate(secondFactorSchema, 'abcd-efgh-ijkl-mnop').ok).toBe(true);
    expect(validate(secondFactorSchema, '12345').ok).toBe(false);
    expect(validate(revealReasonSchema, 'because').ok).toBe(false);
    expect(validate(revealReasonSchema, 'Customer called about a KYC check').ok).toBe(true);
    expect(validate(customerSearchSchema, { field: 'mobile', value: '' })).toEqual({
      ok: false,
      errors: { value: 'Enter the exact value to search for' },
    });
    const user = validate(createUserSchema, {
      username: 'a b',
      displayName: 'A',
      email: 'nope',
      password: 'short',
      roles: [],
      teamId: null,
      clearance: 'internal',
    });
    expect(user.ok ? {} : Object.keys(user.errors).sort()).toEqual([
      'email',
      'password',
      'roles',
      'username',
    ]);
  });

  it('accepts a grant ending in the future and at most 90 days ahead', () => {
    const now = new Date('2030-06-01T12:00:00Z');
    const base = {
      userId: '0190a2b4-0000-7000-8000-000000000001',
      preset: 'reveal-own',
      reason: 'KYC review',
    };
    expect(validate(grantRequestSchema(now), { ...base, expiresAt: '2030-06-02T12:00:00Z' }).ok).toBe(true);
    expect(validate(grantRequestSchema(now), { ...base, expiresAt: '2030-05-31T12:00:00Z' })).toEqual({
      ok: false,
      errors: { expiresAt: 'The end must be in the future' },
    });
    expect(validate(grantRequestSchema(now), { ...base, expiresAt: '2030-10-01T12:00:00Z' })).toEqual({
      ok: false,
      errors: { expiresAt: 'A grant lasts at most 90 days' },
    });
  });
});
