import { v7 as uuidv7 } from 'uuid';
import { envelopeSchema, systemActor, type EventEnvelope } from './envelope';
import { GENESIS_HASH, hashEvent, verifyStreamChain } from './hash-chain';

/** A stream of `count` correctly chained events, built the way the event store builds them. */
function chain(count: number, streamId = `widget-${uuidv7()}`): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  let prevHash = GENESIS_HASH;
  for (let version = 1; version <= count; version += 1) {
    const event = sealed(prevHash, {
      streamId,
      streamVersion: version,
      globalPosition: 100 + version,
      data: { step: version, label: `step ${version}` },
    });
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

/** One envelope chained to `prevHash`, its hash computed over its content. */
function sealed(
  prevHash: string,
  fields: Pick<EventEnvelope, 'streamId' | 'streamVersion' | 'globalPosition' | 'data'>,
): EventEnvelope {
  const unsealed = {
    eventId: uuidv7(),
    type: 'WidgetAdjusted',
    schemaVersion: 1,
    occurredAt: '2025-01-02T03:04:05.000Z',
    actor: systemActor('hash-chain-spec'),
    correlationId: 'corr-1',
    causationId: null,
    ...fields,
  };
  return { ...unsealed, prevHash, hash: hashEvent(prevHash, unsealed) };
}

const withNewHash = (event: EventEnvelope): EventEnvelope => ({
  ...event,
  hash: hashEvent(event.prevHash, event),
});

describe('hashEvent', () => {
  const [event] = chain(1);

  it('builds envelopes that satisfy the envelope contract', () => {
    expect(envelopeSchema.safeParse(event).success).toBe(true);
  });

  it('gives the same 64-hex-character SHA-256 for the same event every time', () => {
    const first = hashEvent(GENESIS_HASH, event);
    const second = hashEvent(GENESIS_HASH, structuredClone(event));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
  });

  it('does not depend on the order of the keys in the data', () => {
    const data = { name: 'Ada', nested: { a: 1, b: [1, 2, { x: 'y', z: null }] }, count: 3 };
    const reordered = { count: 3, nested: { b: [1, 2, { z: null, x: 'y' }], a: 1 }, name: 'Ada' };
    expect(hashEvent(GENESIS_HASH, { ...event, data: reordered })).toBe(
      hashEvent(GENESIS_HASH, { ...event, data }),
    );
  });

  it('does not depend on the order of the keys of the envelope itself', () => {
    const { data, eventId, ...rest } = event;
    const reordered = { data, ...rest, eventId } as EventEnvelope;
    expect(hashEvent(GENESIS_HASH, reordered)).toBe(hashEvent(GENESIS_HASH, event));
  });

  it('changes when the data, the envelope or the previous hash changes', () => {
    const original = hashEvent(GENESIS_HASH, event);
    expect(hashEvent(GENESIS_HASH, { ...event, data: { ...event.data, step: 2 } })).not.toBe(original);
    expect(hashEvent(GENESIS_HASH, { ...event, actor: systemActor('someone-else') })).not.toBe(original);
    expect(hashEvent('f'.repeat(64), event)).not.toBe(original);
  });

  it('ignores the global position and the hash fields, which it does not cover', () => {
    const moved = { ...event, globalPosition: 999, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) };
    expect(hashEvent(GENESIS_HASH, moved)).toBe(hashEvent(GENESIS_HASH, event));
  });
});

describe('verifyStreamChain', () => {
  describe('when the chain is intact', () => {
    it('accepts it', () => {
      expect(verifyStreamChain(chain(5))).toBeNull();
    });

    it('accepts an empty stream', () => {
      expect(verifyStreamChain([])).toBeNull();
    });
  });

  describe('when the data of an event was altered', () => {
    it('reports that event: its hash no longer matches its content', () => {
      const events = chain(3);
      events[1] = { ...events[1], data: { ...events[1].data, label: 'tampered' } };
      expect(verifyStreamChain(events)).toEqual({
        streamId: events[1].streamId,
        streamVersion: 2,
        eventId: events[1].eventId,
        reason: 'hash does not match content',
      });
    });
  });

  describe('when the hash of an event was altered', () => {
    it('reports that event', () => {
      const events = chain(3);
      events[2] = { ...events[2], hash: 'e'.repeat(64) };
      expect(verifyStreamChain(events)).toEqual({
        streamId: events[2].streamId,
        streamVersion: 3,
        eventId: events[2].eventId,
        reason: 'hash does not match content',
      });
    });

    it('reports the next event when the altered event was re-hashed to hide it', () => {
      const events = chain(3);
      events[1] = withNewHash({ ...events[1], data: { ...events[1].data, label: 'tampered' } });
      expect(verifyStreamChain(events)).toEqual({
        streamId: events[2].streamId,
        streamVersion: 3,
        eventId: events[2].eventId,
        reason: 'prevHash does not match the previous event',
      });
    });
  });

  describe('when an event was removed', () => {
    it('reports the event after the gap', () => {
      const events = chain(4);
      const [first, , third, fourth] = events;
      expect(verifyStreamChain([first, third, fourth])).toEqual({
        streamId: third.streamId,
        streamVersion: 3,
        eventId: third.eventId,
        reason: 'expected stream version 2, found 3',
      });
    });

    it('reports a stream whose first event is missing', () => {
      const [, second, third] = chain(3);
      expect(verifyStreamChain([second, third])).toEqual({
        streamId: second.streamId,
        streamVersion: 2,
        eventId: second.eventId,
        reason: 'expected stream version 1, found 2',
      });
    });
  });

  describe('when an event was inserted', () => {
    it('reports the original event displaced by a forged one chained to its predecessor', () => {
      const [first, second, third] = chain(3);
      const forged = sealed(first.hash, {
        streamId: first.streamId,
        streamVersion: 2,
        globalPosition: 500,
        data: { step: 99, label: 'forged' },
      });
      expect(verifyStreamChain([first, forged, second, third])).toEqual({
        streamId: second.streamId,
        streamVersion: 2,
        eventId: second.eventId,
        reason: 'expected stream version 3, found 2',
      });
    });

    it('reports the forged event when the later versions were renumbered around it', () => {
      const [first, second, third] = chain(3);
      const forged = sealed(first.hash, {
        streamId: first.streamId,
        streamVersion: 2,
        globalPosition: 500,
        data: { step: 99, label: 'forged' },
      });
      const renumbered = [second, third].map((event) =>
        withNewHash({ ...event, streamVersion: event.streamVersion + 1 }),
      );
      expect(verifyStreamChain([first, forged, ...renumbered])).toEqual({
        streamId: renumbered[0].streamId,
        streamVersion: 3,
        eventId: second.eventId,
        reason: 'prevHash does not match the previous event',
      });
    });
  });

  describe('when two events were swapped', () => {
    it('reports the first out-of-order event', () => {
      const [first, second, third, fourth] = chain(4);
      expect(verifyStreamChain([first, third, second, fourth])).toEqual({
        streamId: third.streamId,
        streamVersion: 3,
        eventId: third.eventId,
        reason: 'expected stream version 2, found 3',
      });
    });

    it('reports a swap whose stream versions were renumbered to look in order', () => {
      const [first, second, third] = chain(3);
      const swappedIn = { ...third, streamVersion: 2 };
      const swappedOut = { ...second, streamVersion: 3 };
      expect(verifyStreamChain([first, swappedIn, swappedOut])).toEqual({
        streamId: third.streamId,
        streamVersion: 2,
        eventId: third.eventId,
        reason: 'prevHash does not match the previous event',
      });
    });
  });

  describe('when the first event does not start from the genesis hash', () => {
    it('reports the first event', () => {
      const [first] = chain(1);
      const detached = withNewHash({ ...first, prevHash: '1'.repeat(64) });
      expect(verifyStreamChain([detached])).toEqual({
        streamId: first.streamId,
        streamVersion: 1,
        eventId: first.eventId,
        reason: 'prevHash does not match the previous event',
      });
    });
  });
});
