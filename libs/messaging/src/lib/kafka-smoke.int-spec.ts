import { testKafka, uniqueName, uniqueTopicPrefix, expectEventually } from '@warden/testing';
import { createIdempotentProducer, ensureTopics } from './kafka';

// kafkajs 2.2 against the pinned Kafka 4 broker: the protocol features Warden relies on.
describe('kafkajs against the Kafka broker', () => {
  const kafka = testKafka('smoke');

  it('creates topics, produces idempotently with acks=all, joins a group and commits offsets', async () => {
    const topic = `${uniqueTopicPrefix('smoke')}events`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [topic]);
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0].partitions).toHaveLength(3);
      const configs = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0].configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('-1');

      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      const acks = await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 30 }, (_, i) => ({ key: `k-${i % 5}`, value: String(i) })),
      });
      await producer.disconnect();
      expect(acks.every((a) => a.errorCode === 0)).toBe(true);

      const groupId = uniqueName('smoke-group');
      const consumer = kafka.consumer({ groupId });
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          seen.push(message.value?.toString() ?? '');
        },
      });
      await expectEventually(() => expect(seen).toHaveLength(30));
      await consumer.disconnect();

      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      // A partition that received nothing reports -1.
      const total = committed[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      expect(total).toBe(30);
      expect(new Set(seen).size).toBe(30);
    } finally {
      await admin.disconnect();
    }
  });
});
