import { actorGeoSchema } from '@warden/contracts';
import { actorGeoOf, isPrivateIp, geoOf } from '../sessions/geo.util';
import { lockoutSeconds, usernameHash } from './login-throttle';

const settings = { maxFailures: 5, lockoutBaseSeconds: 30, lockoutMaxSeconds: 900 };

describe('lockoutSeconds', () => {
  it('does not lock before the limit', () => {
    expect(lockoutSeconds(4, settings)).toBe(0);
  });

  it('locks for the base time at the limit, doubling with each further failure, up to the cap', () => {
    expect([5, 6, 7, 8, 9, 10].map((n) => lockoutSeconds(n, settings))).toEqual([30, 60, 120, 240, 480, 900]);
    expect(lockoutSeconds(1000, settings)).toBe(900);
  });
});

describe('usernameHash', () => {
  it('is the SHA-256 of the trimmed, lower-cased name', () => {
    expect(usernameHash(' Admin ')).toBe(usernameHash('admin'));
    expect(usernameHash('admin')).toMatch(/^[0-9a-f]{64}$/);
    expect(usernameHash('admin')).not.toContain('admin');
  });
});

describe('geo', () => {
  const lookup = jest.fn((ip: string) => (ip === '81.2.69.142' ? { country: 'GB', city: 'London' } : null));

  it.each(['127.0.0.1', '10.1.2.3', '192.168.0.4', '172.20.0.1', '::1', 'fd00::1', '::ffff:127.0.0.1'])('%s is private', (ip) => {
    expect(isPrivateIp(ip)).toBe(true);
    expect(geoOf(ip, lookup)).toBeNull();
  });

  it('locates a public address', () => {
    expect(geoOf('81.2.69.142', lookup)).toEqual({ country: 'GB', city: 'London', asn: null, asnOrg: null });
    expect(geoOf('::ffff:81.2.69.142', lookup)).toEqual({ country: 'GB', city: 'London', asn: null, asnOrg: null });
  });

  it('gives null for no address or one the database does not know', () => {
    expect(geoOf(null, lookup)).toBeNull();
    expect(geoOf('203.0.113.9', lookup)).toBeNull();
    expect(geoOf('not-an-ip', lookup)).toBeNull();
  });

  describe('actorGeoOf (the geo of an event\'s actor)', () => {
    it('keeps what the lookup found, within the envelope contract', () => {
      const geo = actorGeoOf({ country: 'US', city: 'Mountain View', asn: 15169, asnOrg: 'Google LLC' });
      expect(geo).toEqual({ country: 'US', city: 'Mountain View', asn: 15169, asnOrg: 'Google LLC' });
      expect(actorGeoSchema.safeParse(geo).success).toBe(true);
    });

    it('gives null for no location, and drops what the contract would refuse rather than the event', () => {
      expect(actorGeoOf(null)).toBeNull();
      const odd = actorGeoOf({ country: 'EUR', city: 'x'.repeat(300), asn: null, asnOrg: 'y'.repeat(400) });
      expect(odd).toEqual({ country: null, city: 'x'.repeat(200), asn: null, asnOrg: 'y'.repeat(300) });
      expect(actorGeoSchema.safeParse(odd).success).toBe(true);
    });
  });
});
