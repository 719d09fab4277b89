import { GENESIS_HASH, hashEvent, type EventEnvelope } from '@warden/contracts';

/** The last event seen of a stream: its version and hash. */
export type StreamHead = { streamVersion: number; lastHash: string };

/** Why an arriving event does not continue its stream's hash chain. */
export type LinkBreak = { kind: 'altered' | 'removed' | 'inserted' | 'reordered'; reason: string };

/**
 * Checks one arriving event against the head of its stream. Pure. An event whose own hash does not
 * match its content was altered; a version past the next one means events were removed; a version
 * at or below the head means an event was inserted (a second event at a version already seen) or
 * events arrived out of order; a `prevHash` that is not the head's hash means the chain was cut.
 * `computedHash` is the event's hash recomputed from its content, when the caller has it already.
 */
export function checkLink(head: StreamHead | null, event: EventEnvelope, computedHash: string = hashEvent(event.prevHash, event)): LinkBreak | null {
  if (computedHash !== event.hash) {
    return { kind: 'altered', reason: 'hash does not match the content of the event' };
  }
  const expected = (head?.streamVersion ?? 0) + 1;
  if (event.streamVersion > expected) {
    return {
      kind: 'removed',
      reason: `expected stream version ${expected}, found ${event.streamVersion}: ${event.streamVersion - expected} event(s) missing`,
    };
  }
  if (event.streamVersion < expected) {
    // The head itself again (a repeat that slipped past deduplication) is no break.
    if (event.streamVersion === expected - 1 && event.hash === head?.lastHash) return null;
    return {
      kind: event.streamVersion === expected - 1 ? 'inserted' : 'reordered',
      reason: `stream version ${event.streamVersion} arrived after version ${expected - 1}`,
    };
  }
  const previous = head?.lastHash ?? GENESIS_HASH;
  if (event.prevHash !== previous) {
    return { kind: 'inserted', reason: 'prevHash does not match the hash of the previous event of the stream' };
  }
  return null;
}
