import type { FailureState, RuleInput, WindowCount } from '../detection.types';
import type { AccessDeniedSignal, LoginFailedSignal } from '../signal.types';
import { given, settingsWith, T0, USER } from '../../test/detection-fixtures';

type Failed = Extract<RuleInput, { kind: 'login-failed' }>;
type Denied = Extract<RuleInput, { kind: 'access-denied' }>;

const failed = (change: Partial<LoginFailedSignal> = {}): LoginFailedSignal => ({
  kind: 'login-failed',
  eventId: 'f-now',
  at: T0,
  userId: USER,
  userKey: USER,
  network: '203.0.113.0/24',
  ...change,
});
const state = (userFailures: number, sprayUsers: number | null = 1): FailureState => ({
  userFailures: { count: userFailures, eventIds: ['f-now', 'f-1'] },
  spray: sprayUsers === null ? null : { count: sprayUsers, eventIds: ['f-now', 'g-1'] },
});

describe('brute-force', () => {
  it('fires at 10 failures in the window', () => {
    const f = given<Failed>(state(10)).when('login-failed', failed()).fires('brute-force');
    expect(f).toMatchObject({ subject: USER, userId: USER, severity: 'medium', evidence: ['f-now', 'f-1'] });
  });
  it('does not fire at 9', () => {
    given<Failed>(state(9)).when('login-failed', failed()).doesNotFire('brute-force');
  });
  it('counts failures for an unknown user name under its hash', () => {
    const f = given<Failed>(state(12)).when('login-failed', failed({ userId: null, userKey: 'name:abc' })).fires('brute-force');
    expect(f).toMatchObject({ subject: 'name:abc', userId: null });
  });
  it('honours a threshold changed to 3', () => {
    given<Failed>(state(3), settingsWith('brute-force', { thresholds: { failures: 3 } })).when('login-failed', failed()).fires('brute-force');
  });
});

describe('password-spray', () => {
  it('fires at 10 distinct users from one network, about the network', () => {
    const f = given<Failed>(state(1, 10)).when('login-failed', failed()).fires('password-spray');
    expect(f).toMatchObject({ subject: 'net:203.0.113.0/24', userId: null, severity: 'high' });
  });
  it('does not fire at 9 distinct users', () => {
    given<Failed>(state(1, 9)).when('login-failed', failed()).doesNotFire('password-spray');
  });
  it('does not fire without a network', () => {
    given<Failed>(state(1, null)).when('login-failed', failed({ network: null })).doesNotFire('password-spray');
  });
});

describe('access-denied-burst', () => {
  const denied: AccessDeniedSignal = { kind: 'access-denied', eventId: 'd-now', at: T0, userId: USER };
  const count = (n: number): WindowCount => ({ count: n, eventIds: ['d-now'] });
  it('fires at 20 denials in the window', () => {
    given<Denied>(count(20)).when('access-denied', denied).fires('access-denied-burst');
  });
  it('does not fire at 19', () => {
    given<Denied>(count(19)).when('access-denied', denied).doesNotFire('access-denied-burst');
  });
  it('does not fire when disabled', () => {
    given<Denied>(count(50), settingsWith('access-denied-burst', { enabled: false })).when('access-denied', denied).doesNotFire('access-denied-burst');
  });
});
