import { v7 as uuidv7 } from 'uuid';
import { actorSchema, envelopeSchema, type Actor, type EventEnvelope } from './envelope';
import { GENESIS_HASH, hashEvent, verifyStreamChain } from './hash-chain';

const person: Actor = { userId: uuidv7(), sessionId: uuidv7(), ip: '8.8.8.8', userAgent: 'e2e-agent', deviceId: 'laptop-1' };
const located: Actor = { ...person, geo: { country: 'US', city: null, asn: 15169, asnOrg: 'Google LLC' } };

/** A stream of events chained the way the event store chains them, one per actor. */
function chainOf(actors: readonly Actor[]): EventEnvelope[] {
  const streamId = `widget-${uuidv7()}`;
  const events: EventEnvelope[] = [];
  let prevHash = GENESIS_HASH;
  actors.forEach((actor, index) => {
    const unsealed = {
      eventId: uuidv7(),
      type: 'WidgetAdjusted',
      schemaVersion: 1,
      streamId,
      streamVersion: index + 1,
      globalPosition: 10 + index,
      occurredAt: '2025-01-02T03:04:05.000Z',
      actor,
      correlationId: 'corr-1',
      causationId: null,
      data: { step: index },
    };
    const hash = hashEvent(prevHash, unsealed);
    events.push({ ...unsealed, prevHash, hash });
    prevHash = hash;
  });
  return events;
}

/** What the event store hands back: the envelope through JSON (Postgres jsonb, Kafka). */
const stored = (events: EventEnvelope[]): EventEnvelope[] => JSON.parse(JSON.stringify(events)) as EventEnvelope[];

describe('actorSchema', () => {
  it('accepts an actor without geo (events recorded before it existed, system work)', () => {
    expect(actorSchema.safeParse(person).success).toBe(true);
  });

  it('accepts an actor whose geo is filled, or null (a private or loopback address)', () => {
    expect(actorSchema.safeParse(located).success).toBe(true);
    expect(actorSchema.safeParse({ ...person, geo: null }).success).toBe(true);
  });

  it('refuses a geo with unknown keys or a country that is not a two-letter code', () => {
    expect(actorSchema.safeParse({ ...located, geo: { ...located.geo, region: 'CA' } }).success).toBe(false);
    expect(actorSchema.safeParse({ ...located, geo: { ...located.geo, country: 'USA' } }).success).toBe(false);
    expect(actorSchema.safeParse({ ...located, geo: { ...located.geo, asn: 1.5 } }).success).toBe(false);
  });
});

describe('the hash chain over actors with and without geo', () => {
  it('verifies a stream whose events have no geo key at all, as events recorded before it existed', () => {
    const events = stored(chainOf([person, person]));
    expect(events.every((event) => !('geo' in event.actor))).toBe(true);
    expect(events.every((event) => envelopeSchema.safeParse(event).success)).toBe(true);
    expect(verifyStreamChain(events)).toBeNull();
  });

  it('verifies a stream mixing events with geo, with null geo and without geo', () => {
    const events = stored(chainOf([person, located, { ...person, geo: null }, person]));
    expect(events.every((event) => envelopeSchema.safeParse(event).success)).toBe(true);
    expect(verifyStreamChain(events)).toBeNull();
  });

  it('covers the geo: an event whose geo was altered, added or removed no longer verifies', () => {
    const [withGeo] = stored(chainOf([located]));
    const [withoutGeo] = stored(chainOf([person]));
    const altered = { ...withGeo, actor: { ...withGeo.actor, geo: { ...located.geo, country: 'FR' } } } as EventEnvelope;
    const { geo: _geo, ...stripped } = withGeo.actor;
    const removed = { ...withGeo, actor: stripped };
    const added = { ...withoutGeo, actor: { ...withoutGeo.actor, geo: null } };
    for (const event of [altered, removed, added]) {
      expect(verifyStreamChain([event])).toMatchObject({ streamVersion: 1, reason: 'hash does not match content' });
    }
  });
});
