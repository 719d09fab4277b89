import { loginFailedV1, loginSucceededV1, stepUpFailedV1, stepUpSucceededV1 } from './authorization.events';

const userId = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const sessionId = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const hash = 'a'.repeat(64);

describe('authorization event contracts', () => {
  describe('geo with the autonomous system', () => {
    it('still accepts events recorded before asn existed', () => {
      expect(loginSucceededV1.safeParse({ userId, sessionId, mfa: false, geo: { country: 'FR', city: 'Paris' } }).success).toBe(true);
      expect(loginFailedV1.safeParse({ userId: null, usernameHash: hash, reason: 'bad_credentials' }).success).toBe(true);
    });

    it('accepts asn and asnOrg, or nulls, and refuses nonsense', () => {
      const geo = { country: 'US', city: null, asn: 4294967294, asnOrg: 'Cloudflare, Inc.' };
      expect(loginSucceededV1.safeParse({ userId, sessionId, mfa: true, geo }).success).toBe(true);
      expect(loginFailedV1.safeParse({ userId, usernameHash: hash, reason: 'locked', geo: { ...geo, asn: null, asnOrg: null } }).success).toBe(true);
      expect(loginFailedV1.safeParse({ userId, usernameHash: hash, reason: 'locked', geo: null }).success).toBe(true);
      expect(loginSucceededV1.safeParse({ userId, sessionId, mfa: true, geo: { ...geo, asn: -1 } }).success).toBe(false);
      expect(loginSucceededV1.safeParse({ userId, sessionId, mfa: true, geo: { ...geo, asn: '13335' } }).success).toBe(false);
    });
  });

  describe('step-up', () => {
    it('carries ids and a reason, nothing else', () => {
      expect(stepUpSucceededV1.safeParse({ userId, sessionId, expiresAt: '2031-01-01T00:05:00.000Z' }).success).toBe(true);
      expect(stepUpFailedV1.safeParse({ userId, sessionId, reason: 'bad_code' }).success).toBe(true);
      expect(stepUpFailedV1.safeParse({ userId, sessionId, reason: 'bad_code', totp: '123456' }).success).toBe(false);
    });
  });
});
