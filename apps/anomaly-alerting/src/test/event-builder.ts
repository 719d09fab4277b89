import { GENESIS_HASH, hashEvent, type Actor, type EventEnvelope } from '@warden/contracts';
import type { Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';

let position = 1;

/**
 * Builds envelopes as the producing services would (UUIDv7 ids, per-stream versions and a valid
 * hash chain), and sends them to a topic keyed by stream id.
 */
export class EventBuilder {
  private readonly heads = new Map<string, { version: number; hash: string }>();

  constructor(
    private readonly producer: Producer,
    private readonly prefix: string,
  ) {}

  build(streamId: string, type: string, data: Record<string, unknown>, options: { actor?: Partial<Actor>; at?: Date } = {}): EventEnvelope {
    const head = this.heads.get(streamId) ?? { version: 0, hash: GENESIS_HASH };
    const body = {
      eventId: uuidv7(),
      type,
      schemaVersion: 1,
      streamId,
      streamVersion: head.version + 1,
      occurredAt: (options.at ?? new Date()).toISOString(),
      actor: { userId: 'system:test', sessionId: null, ip: null, userAgent: null, deviceId: null, ...options.actor },
      correlationId: `test-${uuidv7()}`,
      causationId: null,
      data,
    };
    const hash = hashEvent(head.hash, body);
    this.heads.set(streamId, { version: body.streamVersion, hash });
    return { ...body, globalPosition: position++, prevHash: head.hash, hash };
  }

  async send(topic: string, events: EventEnvelope[]): Promise<EventEnvelope[]> {
    await this.producer.send({
      topic: `${this.prefix}${topic}`,
      acks: -1,
      messages: events.map((e) => ({ key: e.streamId, value: JSON.stringify(e) })),
    });
    return events;
  }

  async emit(topic: string, streamId: string, type: string, data: Record<string, unknown>, options?: { actor?: Partial<Actor>; at?: Date }): Promise<EventEnvelope> {
    const [event] = await this.send(topic, [this.build(streamId, type, data, options)]);
    return event;
  }
}
