import { createIdempotentProducer, createKafka, ensureTopics, withAdmin } from '@warden/messaging';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { testEnv, uniqueName } from './env';

export function testKafka(clientId = 'warden-test', brokers: string[] = testEnv().kafkaBrokers): Kafka {
  return createKafka({ brokers, clientId, requestTimeout: 5000 });
}

export type ReadMessage = { topic: string; partition: number; offset: string; key: string | null; value: string; headers: Record<string, string> };

const plain = (topic: string, partition: number, message: KafkaMessage): ReadMessage => ({
  topic,
  partition,
  offset: message.offset,
  key: message.key?.toString('utf8') ?? null,
  value: message.value?.toString('utf8') ?? '',
  headers: Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v ?? '')]),
  ),
});

/**
 * Reads a topic from the beginning with a plain kafkajs consumer (its own group) until `count`
 * messages arrived (or `until` says so) or `timeoutMs` passed; returns what it read.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  {
    count,
    until,
    timeoutMs = 30_000,
  }: { count?: number; until?: (messages: readonly ReadMessage[]) => boolean; timeoutMs?: number },
): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), allowAutoTopicCreation: false });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ topic: t, partition, message }) => {
          messages.push(plain(t, partition, message));
          if ((count !== undefined && messages.length >= count) || until?.(messages)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Creates topics (as the services do: retention unlimited, 3 partitions). */
export async function createTopics(kafka: Kafka, topics: string[]): Promise<void> {
  await withAdmin(kafka, (admin) => ensureTopics(admin, topics));
}

/** The producer the services use (idempotent, acks=all). */
export const testProducer = (kafka: Kafka): Producer => createIdempotentProducer(kafka);
