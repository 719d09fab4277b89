import type { EventEnvelope } from '@warden/contracts';
import { networkOf, signalOf } from './signal.util';

describe('networkOf', () => {
  it('takes the /24 of an IPv4 address', () => {
    expect(networkOf('81.2.69.142')).toBe('81.2.69.0/24');
  });
  it('unwraps IPv4-mapped IPv6 addresses', () => {
    expect(networkOf('::ffff:10.1.2.3')).toBe('10.1.2.0/24');
  });
  it('takes the /48 of an IPv6 address, compressed or not', () => {
    expect(networkOf('2001:db8:1234:5678::1')).toBe('2001:db8:1234::/48');
    expect(networkOf('2001:0db8:0001:0000:0000:0000:0000:0001')).toBe('2001:db8:1::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
  });
  it('is null for no address or garbage', () => {
    expect(networkOf(null)).toBeNull();
    expect(networkOf('not-an-ip')).toBeNull();
  });
});

describe('signalOf (LoginSucceeded)', () => {
  const login = (geo: Record<string, unknown> | null): EventEnvelope => ({
    eventId: '0197a8e0-0000-7000-8000-000000000009',
    type: 'LoginSucceeded',
    schemaVersion: 1,
    streamId: 'session-1',
    streamVersion: 1,
    globalPosition: 1,
    occurredAt: '2026-03-02T10:00:00.000Z',
    actor: { userId: 'u1', sessionId: null, ip: '81.2.69.142', userAgent: null, deviceId: 'd1' },
    correlationId: 'c',
    causationId: null,
    data: { userId: 'u1', sessionId: 's1', mfa: true, geo },
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  });
  const locate = () => ({ country: 'GB', point: { lat: 52.2, lon: 0.48, accuracyKm: 500 } });

  it('uses the ASN as the network when the login carries one', () => {
    expect(signalOf(login({ country: 'GB', city: null, asn: 20712 }), locate)).toMatchObject({ network: 'AS20712', country: 'GB', deviceId: 'd1' });
  });
  it('falls back to the /24 prefix without an ASN', () => {
    expect(signalOf(login({ country: 'GB', city: null }), locate)).toMatchObject({ network: '81.2.69.0/24', location: { accuracyKm: 500 } });
  });
  it('takes the country from GeoIP when the event has no geo', () => {
    expect(signalOf(login(null), locate)).toMatchObject({ country: 'GB' });
  });
});

describe('signalOf (departing users)', () => {
  const userEvent = (type: string, data: Record<string, unknown>): EventEnvelope => ({
    eventId: '0197a8e0-0000-7000-8000-000000000010',
    type,
    schemaVersion: 1,
    streamId: 'user-u1',
    streamVersion: 2,
    globalPosition: 2,
    occurredAt: '2026-03-02T10:00:00.000Z',
    actor: { userId: 'system:offboarding', sessionId: null, ip: null, userAgent: null, deviceId: null },
    correlationId: 'c',
    causationId: null,
    data,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  });
  const nowhere = () => null;

  it('marks a user departing, and no longer departing once the departure is cancelled', () => {
    expect(signalOf(userEvent('UserMarkedDeparting', { userId: 'u1', effectiveAt: '2026-04-01T00:00:00.000Z' }), nowhere)).toMatchObject({
      kind: 'user-status',
      userId: 'u1',
      departing: true,
    });
    expect(
      signalOf(userEvent('UserDepartureCancelled', { userId: 'u1', effectiveAt: '2026-04-01T00:00:00.000Z', reason: 'case cancelled' }), nowhere),
    ).toMatchObject({ kind: 'user-status', userId: 'u1', departing: false });
  });
});
