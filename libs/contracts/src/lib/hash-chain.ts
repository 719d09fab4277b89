import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { EventEnvelope, HashedEnvelope } from './envelope';

/** The `prevHash` of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** `hash = SHA-256(prevHash ‖ canonical JSON (RFC 8785) of the envelope without position and hashes)`. */
export function hashEvent(prevHash: string, envelope: HashedEnvelope): string {
  const body: HashedEnvelope = {
    eventId: envelope.eventId,
    type: envelope.type,
    schemaVersion: envelope.schemaVersion,
    streamId: envelope.streamId,
    streamVersion: envelope.streamVersion,
    occurredAt: envelope.occurredAt,
    actor: envelope.actor,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    data: envelope.data,
  };
  const canonical = canonicalize(body);
  if (canonical === undefined) throw new Error('event envelope cannot be canonicalised');
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export type ChainBreak = { streamId: string; streamVersion: number; eventId: string; reason: string };

/**
 * Checks one stream's events (in stream order) against their hash chain. Returns the first break:
 * an altered event, a removed or inserted one, or events out of order.
 */
export function verifyStreamChain(events: readonly EventEnvelope[]): ChainBreak | null {
  let prevHash = GENESIS_HASH;
  let expectedVersion = 1;
  for (const event of events) {
    const at = { streamId: event.streamId, streamVersion: event.streamVersion, eventId: event.eventId };
    if (event.streamVersion !== expectedVersion) {
      return { ...at, reason: `expected stream version ${expectedVersion}, found ${event.streamVersion}` };
    }
    if (event.prevHash !== prevHash) return { ...at, reason: 'prevHash does not match the previous event' };
    if (hashEvent(event.prevHash, event) !== event.hash)
      return { ...at, reason: 'hash does not match content' };
    prevHash = event.hash;
    expectedVersion += 1;
  }
  return null;
}
