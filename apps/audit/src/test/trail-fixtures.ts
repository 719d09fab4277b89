import { GENESIS_HASH, hashEvent, type Actor, type EventEnvelope } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';

export type DraftEvent = {
  type: string;
  data: Record<string, unknown>;
  occurredAt?: string;
  actor?: Partial<Actor>;
  correlationId?: string;
  schemaVersion?: number;
};

let position = 0;

/** A stream's events as a service would have published them: versions 1…n, hash-chained. */
export function chainOf(streamId: string, drafts: readonly DraftEvent[], from: { version: number; hash: string } = { version: 0, hash: GENESIS_HASH }): EventEnvelope[] {
  let prevHash = from.hash;
  return drafts.map((draft, i) => {
    const body = {
      eventId: uuidv7(),
      type: draft.type,
      schemaVersion: draft.schemaVersion ?? 1,
      streamId,
      streamVersion: from.version + i + 1,
      occurredAt: draft.occurredAt ?? new Date().toISOString(),
      actor: { userId: 'system:test', sessionId: null, ip: null, userAgent: null, deviceId: null, ...draft.actor },
      correlationId: draft.correlationId ?? uuidv7(),
      causationId: null,
      data: draft.data,
    };
    const previous = prevHash;
    const hash = hashEvent(previous, body);
    prevHash = hash;
    position += 1;
    return { ...body, globalPosition: position, prevHash: previous, hash };
  });
}

/** Re-seals an event after a change (as a forger who recomputes the hash would). */
export function reseal(event: EventEnvelope, changes: Partial<EventEnvelope>): EventEnvelope {
  const next = { ...event, ...changes };
  return { ...next, hash: hashEvent(next.prevHash, next) };
}
