import { accessDeniedStreamId, systemActor } from '@warden/contracts';
import { sourceOf } from './trail-source.util';

describe('the source of an event', () => {
  const by = (userId: string, type = 'Anything', streamId = 's-1') => ({ type, streamId, actor: { ...systemActor('x'), userId } });

  it('is the service of an events topic', () => {
    expect(sourceOf('warden.authorization.events.v1', by('u-1'))).toBe('authorization');
    expect(sourceOf('warden.audit.events.v1', by('system:audit'))).toBe('audit');
  });

  it('is customer-records for its read events, and the service its stream names for AccessDenied', () => {
    expect(sourceOf('warden.access.v1', by('u-1', 'CustomerViewed'))).toBe('customer-records');
    expect(sourceOf('warden.access.v1', by('system:exports', 'CustomerRowsStreamed'))).toBe('customer-records');
    expect(sourceOf('warden.access.v1', by('u-1', 'AccessDenied', accessDeniedStreamId('customer-records', 'u-1')))).toBe('customer-records');
    expect(sourceOf('warden.access.v1', by('u-1', 'AccessDenied', accessDeniedStreamId('anomaly-alerting', 'u-1')))).toBe('anomaly-alerting');
    expect(sourceOf('warden.access.v1', by('u-1', 'AccessDenied', accessDeniedStreamId('exports', 'u-1')))).toBe('exports');
    expect(sourceOf('warden.access.v1', by('u-1', 'SomethingNew', 'access-u-1'))).toBeNull();
  });

  it("is the alert's writer on the alerts topic: the audit's outbox for its own alerts, else anomaly-alerting", () => {
    expect(sourceOf('warden.alerts.v1', { type: 'AlertRaised', streamId: 'alert-1', actor: systemActor('audit') })).toBe('audit:outbox');
    expect(sourceOf('warden.alerts.v1', { type: 'AlertRaised', streamId: 'alert-2', actor: systemActor('anomaly-alerting') })).toBe('anomaly-alerting');
    expect(sourceOf('warden.alerts.v1', by('u-officer', 'AlertAcknowledged'))).toBe('anomaly-alerting');
  });

  it('is unknown for any other topic', () => {
    expect(sourceOf('warden.nobody.events.v1', by('u-1'))).toBeNull();
    expect(sourceOf('some.topic', by('u-1'))).toBeNull();
  });
});
