import type { DetectionRule } from '../../apps/anomaly-alerting/src/detection/rule-settings';
import type { GeoPoint, Signal } from '../../apps/anomaly-alerting/src/detection/signal.types';

/**
 * A labelled detection scenario: normal users with daily rhythms (logins in their working hours
 * on weekdays from their usual device and network, customer views and lists at a working pace,
 * small masked exports, the odd typo at login and the odd refused request) and, in the last week,
 * injected attacks of every rule, each labelled with the rules it must fire and its subject.
 * Deterministic for a seed.
 */

export type Label = { rule: DetectionRule; subject: string; startAt: number; endAt: number; attack: string };
export type Scenario = { signals: Signal[]; labels: Label[]; users: number; days: number };

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLACES: Array<{ country: string; point: GeoPoint }> = [
  { country: 'GB', point: { lat: 51.5, lon: -0.12, accuracyKm: 50 } },
  { country: 'DE', point: { lat: 52.52, lon: 13.4, accuracyKm: 50 } },
  { country: 'CN', point: { lat: 31.23, lon: 121.47, accuracyKm: 50 } },
  { country: 'US', point: { lat: 40.71, lon: -74.0, accuracyKm: 50 } },
];
const FAR = { country: 'BR', point: { lat: -23.55, lon: -46.63, accuracyKm: 50 } };

type User = { id: string; place: (typeof PLACES)[number]; network: string; device: string; startHour: number; pace: number };

export function generateScenario({ seed = 7, users = 80, days = 28, rounds = 5, start = Date.UTC(2026, 0, 5) } = {}): Scenario {
  const random = rng(seed);
  let n = 0;
  const id = () => `00000000-0000-7000-8000-${(n++).toString(16).padStart(12, '0')}`;
  const signals: Signal[] = [];
  const labels: Label[] = [];
  const people: User[] = Array.from({ length: users }, (_, i) => {
    const place = PLACES[i % PLACES.length];
    return { id: `user-${i}`, place, network: `10.${i}.1.0/24`, device: `dev-${i}-a`, startHour: 6 + Math.floor(random() * 4), pace: 20 + Math.floor(random() * 60) };
  });
  const login = (u: User, at: number, over: Partial<{ network: string; device: string; place: typeof FAR }> = {}) =>
    signals.push({
      kind: 'login-succeeded',
      eventId: id(),
      at,
      userId: u.id,
      ip: null,
      network: over.network ?? u.network,
      deviceId: over.device ?? u.device,
      country: (over.place ?? u.place).country,
      location: (over.place ?? u.place).point,
    });
  const failure = (userKey: string, userId: string | null, network: string, at: number) =>
    signals.push({ kind: 'login-failed', eventId: id(), at, userId, userKey, network });
  const access = (u: User, at: number, customers: number, reveals = 0) =>
    signals.push({ kind: 'customers-accessed', eventId: id(), at, userId: u.id, customers, reveals });
  const exported = (u: User, at: number, rowCount: number, clearFields: string[] = []) => {
    const exportId = id();
    signals.push({ kind: 'export-requested', eventId: id(), at: at - 5 * MINUTE, userId: u.id, exportId, network: u.network, country: u.place.country });
    signals.push({ kind: 'export-completed', eventId: id(), at, userId: u.id, exportId, rowCount, clearFields });
    signals.push({ kind: 'export-downloaded', eventId: id(), at: at + 10 * MINUTE, userId: u.id, exportId, network: u.network, country: u.place.country });
    return exportId;
  };

  // Normal life.
  for (let d = 0; d < days; d += 1) {
    const dayStart = start + d * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (const u of people) {
      if (random() < 0.05) continue; // a day off
      const begin = dayStart + u.startHour * HOUR + Math.floor(random() * 45) * MINUTE;
      if (random() < 0.08) failure(u.id, u.id, u.network, begin - MINUTE); // a typo
      login(u, begin);
      if (random() < 0.3) login(u, begin + 4 * HOUR + Math.floor(random() * 60) * MINUTE); // after lunch
      // About `pace` customers an hour over 8 hours, in views and small lists.
      for (let h = 0; h < 8; h += 1) {
        let left = Math.floor(u.pace * (0.6 + random() * 0.8));
        let t = begin + h * HOUR;
        while (left > 0) {
          const batch = random() < 0.2 ? Math.min(left, 10 + Math.floor(random() * 15)) : 1;
          access(u, t, batch);
          left -= batch;
          t += Math.floor((HOUR / u.pace) * batch);
        }
      }
      if (random() < 0.15) exported(u, begin + 2 * HOUR, 20 + Math.floor(random() * 200));
      if (random() < 0.1) signals.push({ kind: 'access-denied', eventId: id(), at: begin + 3 * HOUR, userId: u.id });
    }
  }

  // Attacks, in the last week, each on its own user (or network).
  const attackDay = (k: number) => start + (days - 7 + (k % 5)) * DAY; // weekdays of the last week
  if (rounds * 11 > users) throw new Error(`${rounds} rounds of attacks need ${rounds * 11} users`);
  const victims = [...people].reverse();
  let v = 0;
  const label = (attack: string, rules: DetectionRule[], subject: string, startAt: number, endAt: number) =>
    rules.forEach((rule) => labels.push({ rule, subject, startAt, endAt, attack }));
  const attacks: Array<(k: number) => void> = [
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 2) * HOUR;
      exported(u, at, 6000);
      label('bulk export', ['bulk-export'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 2) * HOUR;
      exported(u, at, 80, ['mobile', 'nationalId']);
      label('clear fields', ['clear-sensitive-export'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 3) * HOUR;
      for (let i = 0; i < 40; i += 1) access(u, at + i * 12_000, 25);
      label('scraping', ['mass-viewing'], u.id, at, at + 40 * 12_000);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 1) * HOUR;
      login(u, at, { device: `stolen-${k}` });
      label('new device', ['new-device'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 1) * HOUR;
      login(u, at, { network: `172.16.${k}.0/24` });
      label('new network', ['new-network'], u.id, at, at);
    },
    (k) => {
      // Login from far away 40 minutes after a normal one: new country and network, impossible travel.
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 1) * HOUR + 40 * MINUTE;
      login(u, at - 40 * MINUTE);
      login(u, at, { network: `200.1.${k}.0/24`, place: FAR });
      label('travel', ['impossible-travel', 'new-country', 'new-network'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + ((u.startHour + 15) % 24) * HOUR;
      login(u, at);
      label('night login', ['off-hours-login'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + 2 * HOUR;
      for (let i = 0; i < 12; i += 1) failure(u.id, u.id, `198.51.${k}.0/24`, at + i * 20_000);
      label('brute force', ['brute-force'], u.id, at, at + 12 * 20_000);
    },
    (k) => {
      const at = attackDay(k) + 1 * HOUR;
      const network = `203.0.${k}.0/24`;
      for (let i = 0; i < 15; i += 1) failure(`name:spray-${k}-${i}`, null, network, at + i * 30_000);
      label('spray', ['password-spray'], `net:${network}`, at, at + 15 * 30_000);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 4) * HOUR;
      for (let i = 0; i < 25; i += 1) signals.push({ kind: 'access-denied', eventId: id(), at: at + i * 5000, userId: u.id });
      label('probing', ['access-denied-burst'], u.id, at, at + 25 * 5000);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 5) * HOUR;
      signals.push({ kind: 'user-status', eventId: id(), at: at - HOUR, userId: u.id, departing: true });
      exported(u, at, 150);
      label('departing export', ['departing-user-activity'], u.id, at, at);
    },
    (k) => {
      const u = victims[v++];
      const at = attackDay(k) + (u.startHour + 2) * HOUR;
      const exportId = id();
      signals.push({ kind: 'export-requested', eventId: id(), at, userId: u.id, exportId, network: u.network, country: u.place.country });
      signals.push({ kind: 'export-completed', eventId: id(), at: at + MINUTE, userId: u.id, exportId, rowCount: 40, clearFields: [] });
      signals.push({ kind: 'export-downloaded', eventId: id(), at: at + 30 * MINUTE, userId: u.id, exportId, network: `200.9.${k}.0/24`, country: FAR.country });
      label('leaked link', ['download-ip-mismatch'], u.id, at + 30 * MINUTE, at + 30 * MINUTE);
    },
  ];
  // Every rule attacked `rounds` times, on different days and users.
  for (let round = 0; round < rounds; round += 1) attacks.forEach((attack, i) => attack(round * attacks.length + i));

  // A departing user's every export is the rule's business, not only the injected one: label the
  // ordinary exports they still make after being marked too.
  for (const mark of signals.filter((x): x is Extract<Signal, { kind: 'user-status' }> => x.kind === 'user-status' && x.departing)) {
    for (const x of signals) {
      if (x.kind === 'export-completed' && x.userId === mark.userId && x.at >= mark.at && !labels.some((l) => l.rule === 'departing-user-activity' && l.subject === x.userId && l.startAt === x.at)) {
        labels.push({ rule: 'departing-user-activity', subject: x.userId, startAt: x.at, endAt: x.at, attack: 'departing export (ordinary)' });
      }
    }
  }
  signals.sort((a, b) => a.at - b.at);
  return { signals, labels, users, days };
}
