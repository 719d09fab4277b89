import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME, type RoleDefinition } from '@warden/security';
import { chainOf } from '../test/trail-fixtures';
import { maskEvent, maskIp, trailFieldLevels, loweredFields } from './trail-masking.util';

const policyOf = (roles: string[], extra: Record<string, RoleDefinition> = {}) =>
  createPolicy(
    compileAbility({
      user: { userId: '0190a0a0-0000-7000-8000-000000000001', roles, teamIds: [], clearance: 'restricted', status: 'active' },
      roles: { ...DEFAULT_ROLES_BY_NAME, ...extra },
      grants: [],
      now: new Date('2026-11-29T00:00:00Z'),
      policyVersion: 0,
    }),
  );

const [login] = chainOf('session-x', [
  {
    type: 'LoginSucceeded',
    data: { userId: 'u-1', sessionId: 's-1', mfa: true, geo: { country: 'NL', city: 'Amsterdam', asn: 1136, asnOrg: 'KPN' } },
    actor: { userId: 'u-1', ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (X11)', deviceId: 'device-7' },
  },
]);

describe('trail fields at the reader’s level', () => {
  it('an auditor and a security officer see network and device data in clear: the event is returned as stored', () => {
    for (const role of ['auditor', 'security_officer']) {
      const levels = trailFieldLevels(policyOf([role]));
      expect(levels).toEqual({ ip: 'clear', userAgent: 'clear', deviceId: 'clear', geo: 'clear' });
      expect(maskEvent(login, levels)).toBe(login);
      expect(loweredFields(levels)).toEqual([]);
    }
  });

  it('an administrator, granted nothing on AuditLog by the policy, sees none of them; the rest of the event is kept', () => {
    const levels = trailFieldLevels(policyOf(['admin']));
    expect(levels).toEqual({ ip: 'none', userAgent: 'none', deviceId: 'none', geo: 'none' });
    const seen = maskEvent(login, levels);
    expect(seen.actor).toEqual({ ...login.actor, ip: null, userAgent: null, deviceId: null });
    expect(seen.data).toEqual({ ...login.data, geo: null });
    expect(seen).toMatchObject({ eventId: login.eventId, hash: login.hash, type: 'LoginSucceeded' });
    expect(JSON.stringify(seen)).not.toMatch(/198\.51|Mozilla|device-7|Amsterdam/);
    expect(loweredFields(levels)).toEqual(['ip', 'userAgent', 'deviceId', 'geo']);
    // The stored event is not touched.
    expect(login.actor.ip).toBe('198.51.100.7');
  });

  it('a role that gives masked levels gets masked values, and a deny cap lowers an auditor', () => {
    const masked: RoleDefinition = {
      name: 'compliance',
      description: 'reads the trail with network data masked',
      mfaRequired: false,
      permissions: [{ action: 'view-audit', subject: 'AuditLog', fields: { ip: 'masked', userAgent: 'masked', deviceId: 'none', geo: 'masked' } }],
    };
    const seen = maskEvent(login, trailFieldLevels(policyOf(['compliance'], { compliance: masked })));
    expect(seen.actor).toMatchObject({ ip: '198.51.*.*', userAgent: 'M***', deviceId: null });
    expect(seen.data.geo).toEqual({ country: 'NL', city: null, asn: null, asnOrg: null });

    const capped: RoleDefinition = { name: 'no-ip', description: 'cap', mfaRequired: false, permissions: [{ action: 'view-audit', subject: 'AuditLog', deny: true, fields: { ip: 'none' } }] };
    expect(trailFieldLevels(policyOf(['auditor', 'no-ip'], { 'no-ip': capped }))).toEqual({ ip: 'none', userAgent: 'clear', deviceId: 'clear', geo: 'clear' });
  });

  it('lowers the geo of the actor (where the request came from) like the geo of a login', () => {
    const [revoked] = chainOf('session-y', [
      {
        type: 'SessionRevoked',
        data: { userId: 'u-1', sessionId: null, reason: 'roles_changed' },
        actor: { userId: 'u-admin', ip: '198.51.100.7', geo: { country: 'NL', city: 'Amsterdam', asn: 1136, asnOrg: 'KPN' } },
      },
    ]);
    expect(maskEvent(revoked, trailFieldLevels(policyOf(['admin']))).actor.geo).toBeNull();
    const compliance: RoleDefinition = {
      name: 'compliance',
      description: 'reads the trail with locations masked',
      mfaRequired: false,
      permissions: [{ action: 'view-audit', subject: 'AuditLog', fields: { geo: 'masked' } }],
    };
    const seen = maskEvent(revoked, trailFieldLevels(policyOf(['compliance'], { compliance })));
    expect(seen.actor.geo).toEqual({ country: 'NL', city: null, asn: null, asnOrg: null });
    expect(JSON.stringify(maskEvent(revoked, trailFieldLevels(policyOf(['admin']))))).not.toMatch(/Amsterdam|KPN|1136/);
    // An event without an actor geo (older events) gets none added.
    expect('geo' in maskEvent(login, trailFieldLevels(policyOf(['admin']))).actor).toBe(false);
  });

  describe('in the audit’s own UserActivityCompiled (answer to offboarding’s CompileUserActivity)', () => {
    const loginItem = { at: '2026-11-20T09:00:00.000Z', ip: '198.51.100.7', deviceId: 'device-7', userAgent: 'Mozilla/5.0 (X11)', geo: { country: 'NL', city: 'Amsterdam', asn: 1136, asnOrg: 'KPN' }, mfa: true };
    const [compiled] = chainOf('command-0190a0a0-0000-7000-8000-00000000c0de', [
      {
        type: 'UserActivityCompiled',
        actor: { userId: 'system:audit' },
        data: {
          commandId: '0190a0a0-0000-7000-8000-00000000c0de',
          userId: 'u-1',
          days: 90,
          from: '2026-08-31T00:00:00.000Z',
          to: '2026-11-29T00:00:00.000Z',
          eventCount: 3,
          truncated: false,
          summary: {
            logins: {
              count: 2,
              failures: 0,
              distinctIps: ['198.51.100.7', '203.0.113.9'],
              distinctDevices: ['device-7', 'Mozilla/5.0 (Mac)'],
              countries: ['NL'],
              items: [loginItem, { ...loginItem, ip: '203.0.113.9', deviceId: null, userAgent: 'Mozilla/5.0 (Mac)', geo: null }],
            },
            customersViewed: { views: 1, distinctCustomers: 1, top: [{ customerId: 'c-1', views: 1 }] },
            downloads: { count: 1, items: [{ at: '2026-11-21T09:00:00.000Z', exportId: 'e-1', ip: '198.51.100.7', bytes: 10 }] },
          },
        },
      },
    ]);
    type Summary = { logins: { items: Array<Record<string, unknown>>; distinctIps: unknown; distinctDevices: unknown; countries: unknown }; downloads: { items: Array<Record<string, unknown>> } };
    const summaryOf = (event: typeof compiled) => event.data.summary as Summary;

    it('an auditor sees the logins in clear: the event is returned as stored', () => {
      expect(maskEvent(compiled, trailFieldLevels(policyOf(['auditor'])))).toBe(compiled);
    });

    it('an administrator sees none of the logins’ addresses, devices, agents and locations; the rest is kept', () => {
      const seen = maskEvent(compiled, trailFieldLevels(policyOf(['admin'])));
      const summary = summaryOf(seen);
      expect(summary.logins.items).toEqual([
        { ...loginItem, ip: null, deviceId: null, userAgent: null, geo: null },
        { ...loginItem, ip: null, deviceId: null, userAgent: null, geo: null },
      ]);
      expect(summary.logins).toMatchObject({ count: 2, distinctIps: null, distinctDevices: null, countries: null });
      expect(summary.downloads.items).toEqual([{ at: '2026-11-21T09:00:00.000Z', exportId: 'e-1', ip: null, bytes: 10 }]);
      expect(seen.data).toMatchObject({ userId: 'u-1', eventCount: 3, summary: { customersViewed: { views: 1 } } });
      expect(JSON.stringify(seen)).not.toMatch(/198\.51|203\.0|Mozilla|device-7|Amsterdam|KPN/);
      // The stored event is not touched.
      expect(summaryOf(compiled).logins.items[0].ip).toBe('198.51.100.7');
    });

    it('a role with masked levels gets the values masked like the envelope’s', () => {
      const compliance: RoleDefinition = {
        name: 'compliance',
        description: 'reads the trail with network data masked',
        mfaRequired: false,
        permissions: [{ action: 'view-audit', subject: 'AuditLog', fields: { ip: 'masked', userAgent: 'masked', deviceId: 'masked', geo: 'masked' } }],
      };
      const levels = trailFieldLevels(policyOf(['compliance'], { compliance }));
      const summary = summaryOf(maskEvent(compiled, levels));
      const envelope = maskEvent(login, levels);
      expect(summary.logins.items[0]).toEqual({
        ...loginItem,
        ip: envelope.actor.ip,
        userAgent: envelope.actor.userAgent,
        deviceId: envelope.actor.deviceId,
        geo: envelope.data.geo,
      });
      expect(summary.logins.items[0]).toMatchObject({ ip: '198.51.*.*', userAgent: 'M***', geo: { country: 'NL', city: null, asn: null, asnOrg: null } });
      expect(summary.logins.items[1]).toMatchObject({ ip: '203.0.*.*', deviceId: null, geo: null });
      expect(summary.logins).toMatchObject({ distinctIps: ['198.51.*.*', '203.0.*.*'], countries: ['NL'] });
      expect(summary.logins.distinctDevices).toEqual([expect.not.stringContaining('device-7'), expect.not.stringContaining('Mozilla')]);
      expect(summary.downloads.items[0].ip).toBe('198.51.*.*');
    });

    it('lowers only the fields a cap names (a deny on ip for an auditor)', () => {
      const capped: RoleDefinition = { name: 'no-ip', description: 'cap', mfaRequired: false, permissions: [{ action: 'view-audit', subject: 'AuditLog', deny: true, fields: { ip: 'none' } }] };
      const summary = summaryOf(maskEvent(compiled, trailFieldLevels(policyOf(['auditor', 'no-ip'], { 'no-ip': capped }))));
      expect(summary.logins.items[0]).toEqual({ ...loginItem, ip: null });
      expect(summary.logins).toMatchObject({ distinctIps: null, distinctDevices: ['device-7', 'Mozilla/5.0 (Mac)'], countries: ['NL'] });
    });

    it('leaves a summary of another shape as it is, and other event types’ data untouched', () => {
      const [odd] = chainOf('command-x', [{ type: 'UserActivityCompiled', data: { summary: { logins: 'n/a', downloads: { items: 'none' } } } }]);
      expect(maskEvent(odd, trailFieldLevels(policyOf(['admin']))).data).toEqual(odd.data);
      const [other] = chainOf('other', [{ type: 'SomethingElse', data: { summary: { logins: { items: [loginItem] } } } }]);
      expect(maskEvent(other, trailFieldLevels(policyOf(['admin']))).data).toEqual(other.data);
    });
  });

  it('masks IP addresses to their network', () => {
    expect(maskIp('10.1.2.3')).toBe('10.1.*.*');
    expect(maskIp('2001:db8:85a3::8a2e:370:7334')).toBe('2001:db8:*');
    expect(maskIp('not an ip')).toBe('****');
    expect(maskIp(null)).toBe('****');
  });
});
