import { GENESIS_HASH, hashEvent, type EventEnvelope } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import { checkLink, type StreamHead } from './chain-link.util';

function chain(n: number, streamId = 'customer-1'): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  let prevHash = GENESIS_HASH;
  for (let v = 1; v <= n; v += 1) {
    const body = {
      eventId: uuidv7(),
      type: 'SomethingHappened',
      schemaVersion: 1,
      streamId,
      streamVersion: v,
      occurredAt: '2026-11-01T10:00:00.000Z',
      actor: { userId: 'u1', sessionId: null, ip: '10.0.0.1', userAgent: null, deviceId: null },
      correlationId: 'c1',
      causationId: null,
      data: { n: v },
    };
    const hash = hashEvent(prevHash, body);
    out.push({ ...body, globalPosition: v, prevHash, hash });
    prevHash = hash;
  }
  return out;
}

const headOf = (e: EventEnvelope): StreamHead => ({ streamVersion: e.streamVersion, lastHash: e.hash });

describe('checkLink: the hash chain on arrival', () => {
  it('given an intact chain, every event links to the previous one', () => {
    const events = chain(4);
    let head: StreamHead | null = null;
    for (const e of events) {
      expect(checkLink(head, e)).toBeNull();
      head = headOf(e);
    }
  });

  it('given an altered event, names it altered', () => {
    const [a, b] = chain(2);
    expect(checkLink(headOf(a), { ...b, data: { n: 99 } })?.kind).toBe('altered');
  });

  it('given a gap, names the events removed', () => {
    const [a, , c] = chain(3);
    expect(checkLink(headOf(a), c)).toEqual({ kind: 'removed', reason: expect.stringContaining('expected stream version 2, found 3') });
  });

  it('given a forged event with a valid hash over a wrong prevHash, names it inserted', () => {
    const [a, b] = chain(2);
    const forgedBody = { ...b, data: { n: 'forged' }, prevHash: GENESIS_HASH.replace(/^0/, '1') };
    const forged = { ...forgedBody, hash: hashEvent(forgedBody.prevHash, forgedBody) };
    expect(checkLink(headOf(a), forged)?.kind).toBe('inserted');
  });

  it('given an older version after a newer one, names it reordered', () => {
    const [a, b, c] = chain(3);
    void b;
    expect(checkLink(headOf(c), a)?.kind).toBe('reordered');
  });
});
