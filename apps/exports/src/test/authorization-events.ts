import { GENESIS_HASH, hashEvent, systemActor, type EventEnvelope } from '@warden/contracts';
import type { Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

let position = 1;

/** A valid, hash-chained one-event envelope as another service's relay would publish it. */
export function envelopeOf(type: string, streamId: string, data: Record<string, unknown>): EventEnvelope {
  const body = {
    eventId: uuidv7(),
    type,
    schemaVersion: 1,
    streamId,
    streamVersion: 1,
    occurredAt: new Date().toISOString(),
    actor: systemActor('test'),
    correlationId: `test-${uuidv7()}`,
    causationId: null,
    data,
  };
  return { ...body, globalPosition: position++, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, body) };
}

export async function publish(producer: Producer, topic: string, events: EventEnvelope[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: e.streamId, value: JSON.stringify(e) })) });
}
