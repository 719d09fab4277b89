import { testKafka, uniqueName } from '@warden/testing';

export type PublishedEvent = { topic: string; eventId: string; type: string; streamId: string };

/**
 * Every event published so far on `topics` (each read from the beginning up to its end offsets as of
 * the call): the stream the audit is meant to index, read independently of it. One consumer of a
 * group of its own; it only reads.
 */
export async function publishedEvents(topics: string[], timeoutMs = 120_000): Promise<PublishedEvent[]> {
  const kafka = testKafka(uniqueName('mission-snapshot'));
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) remaining.set(`${topic}:${partition}`, BigInt(high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const events: PublishedEvent[] = [];
  if (remaining.size === 0) return events;
  const consumer = kafka.consumer({ groupId: uniqueName('mission-snapshot'), allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read the topics for ${timeoutMs} ms; partitions not read to their end: ${[...remaining.keys()].join(', ')}`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const key = `${topic}:${partition}`;
          const end = remaining.get(key);
          if (end === undefined || BigInt(message.offset) >= end) return;
          const envelope = JSON.parse(message.value?.toString('utf8') ?? '{}') as { eventId: string; type: string; streamId: string };
          events.push({ topic, eventId: envelope.eventId, type: envelope.type, streamId: envelope.streamId });
          if (BigInt(message.offset) + 1n >= end) remaining.delete(key);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return events;
}
