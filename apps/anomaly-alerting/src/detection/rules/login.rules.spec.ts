import type { LoginState, RuleInput } from '../detection.types';
import type { LoginSucceededSignal } from '../signal.types';
import { DAY_MS, given, settingsWith, T0, USER } from '../../test/detection-fixtures';

type Input = Extract<RuleInput, { kind: 'login-succeeded' }>;

const login = (change: Partial<LoginSucceededSignal> = {}): LoginSucceededSignal => ({
  kind: 'login-succeeded',
  eventId: 'e-now',
  at: T0,
  userId: USER,
  ip: '81.2.69.142',
  network: '81.2.69.0/24',
  deviceId: 'laptop-1',
  country: 'GB',
  location: { lat: 51.5, lon: -0.12, accuracyKm: 20 },
  ...change,
});

/** A user with 30 logins over 30 days, all between 08:00 and 18:00 UTC, from known things. */
const hist = (): number[] => Array.from({ length: 24 }, (_, h) => (h >= 8 && h <= 17 ? 3 : 0));
const settled = (change: Partial<LoginState> = {}): LoginState => ({
  priorLogins: 30,
  firstLoginAt: T0 - 30 * DAY_MS,
  deviceSeenBefore: true,
  countrySeenBefore: true,
  networkSeenBefore: true,
  previousLocated: { at: T0 - 3600_000, location: { lat: 51.5, lon: -0.12, accuracyKm: 20 }, eventId: 'e-prev' },
  hourHistogram: hist(),
  failuresBefore: { count: 0, eventIds: [] },
  ...change,
});

describe('login rules', () => {
  it('a login from known things fires nothing', () => {
    expect(given<Input>(settled()).when('login-succeeded', login()).findings).toEqual([]);
  });

  describe.each([
    ['new-device', 'deviceSeenBefore'],
    ['new-country', 'countrySeenBefore'],
    ['new-network', 'networkSeenBefore'],
  ] as const)('%s', (rule, field) => {
    it('fires for something the user never used, after the learning period', () => {
      const f = given<Input>(settled({ [field]: false })).when('login-succeeded', login()).fires(rule);
      expect(f).toMatchObject({ userId: USER, subject: USER, evidence: ['e-now'] });
    });
    it('does not fire during the learning period (too few logins)', () => {
      given<Input>(settled({ [field]: false, priorLogins: 9 })).when('login-succeeded', login()).doesNotFire(rule);
    });
    it('fires at exactly the learning thresholds (10 logins, 7 days)', () => {
      given<Input>(settled({ [field]: false, priorLogins: 10, firstLoginAt: T0 - 7 * DAY_MS }))
        .when('login-succeeded', login())
        .fires(rule);
    });
    it('does not fire one millisecond before the learning days are over', () => {
      given<Input>(settled({ [field]: false, firstLoginAt: T0 - 7 * DAY_MS + 1 })).when('login-succeeded', login()).doesNotFire(rule);
    });
    it('does not fire when the login did not carry it (null)', () => {
      given<Input>(settled({ [field]: null })).when('login-succeeded', login()).doesNotFire(rule);
    });
    it('does not fire when disabled', () => {
      given<Input>(settled({ [field]: false }), settingsWith(rule, { enabled: false }))
        .when('login-succeeded', login())
        .doesNotFire(rule);
    });
  });

  describe('impossible-travel', () => {
    // London → New York is about 5,570 km.
    const ny = { lat: 40.71, lon: -74.0, accuracyKm: 20 };
    it('fires for London then New York one hour later', () => {
      const f = given<Input>(settled()).when('login-succeeded', login({ location: ny })).fires('impossible-travel');
      expect(f.evidence).toEqual(['e-now', 'e-prev']);
      expect(f.summary).toMatch(/km\/h/);
    });
    it('does not fire when the time between allows the flight (8 hours)', () => {
      given<Input>(settled({ previousLocated: { ...settled().previousLocated!, at: T0 - 8 * 3600_000 } }))
        .when('login-succeeded', login({ location: ny }))
        .doesNotFire('impossible-travel');
    });
    it('ignores logins without a location', () => {
      given<Input>(settled()).when('login-succeeded', login({ location: null })).doesNotFire('impossible-travel');
      given<Input>(settled({ previousLocated: null })).when('login-succeeded', login({ location: ny })).doesNotFire('impossible-travel');
    });
    it('ignores distances under minDistanceKm after the accuracy radii (London → Paris 344 km)', () => {
      given<Input>(settled())
        .when('login-succeeded', login({ location: { lat: 48.85, lon: 2.35, accuracyKm: 20 } }))
        .doesNotFire('impossible-travel');
    });
    it('honours a lower speed threshold', () => {
      // 5,530 km (after radii) in 8 h = 691 km/h: under 900, over 600.
      const state = settled({ previousLocated: { ...settled().previousLocated!, at: T0 - 8 * 3600_000 } });
      given<Input>(state, settingsWith('impossible-travel', { thresholds: { maxSpeedKmh: 600 } }))
        .when('login-succeeded', login({ location: ny }))
        .fires('impossible-travel');
    });
  });

  describe('off-hours-login', () => {
    it('fires for a 03:00 login of a 08:00–18:00 user', () => {
      given<Input>(settled()).when('login-succeeded', login({ at: Date.UTC(2026, 2, 2, 3) })).fires('off-hours-login');
    });
    it('does not fire at 07:00, next to the usual hours', () => {
      given<Input>(settled()).when('login-succeeded', login({ at: Date.UTC(2026, 2, 2, 7) })).doesNotFire('off-hours-login');
    });
    it('does not fire before learningLogins logins (19 < 20)', () => {
      const few = Array.from({ length: 24 }, (_, h) => (h === 10 ? 19 : 0));
      given<Input>(settled({ hourHistogram: few })).when('login-succeeded', login({ at: Date.UTC(2026, 2, 2, 3) })).doesNotFire('off-hours-login');
    });
    it('fires at exactly learningLogins logins (20)', () => {
      const enough = Array.from({ length: 24 }, (_, h) => (h === 10 ? 20 : 0));
      given<Input>(settled({ hourHistogram: enough })).when('login-succeeded', login({ at: Date.UTC(2026, 2, 2, 3) })).fires('off-hours-login');
    });
  });

  describe('brute-force followed by a success', () => {
    it('fires critical when the success follows 10 failures', () => {
      const f = given<Input>(settled({ failuresBefore: { count: 10, eventIds: ['f1', 'f2'] } }))
        .when('login-succeeded', login())
        .fires('brute-force');
      expect(f.severity).toBe('critical');
      expect(f.evidence).toEqual(['e-now', 'f1', 'f2']);
    });
    it('does not fire after 9 failures', () => {
      given<Input>(settled({ failuresBefore: { count: 9, eventIds: [] } })).when('login-succeeded', login()).doesNotFire('brute-force');
    });
  });
});
