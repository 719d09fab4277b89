// A relay in a process of its own, so that a test can kill it mid-batch.
// Env: DATABASE_URL, REDIS_URL, KAFKA_BROKERS, RELAY_SCHEMA, RELAY_TOPIC, RELAY_BATCH_SIZE.
import { connectTestSchema, testKafka, testProducer } from '@warden/testing';
import { EventStore } from '../lib/event-store';
import { EventRelay } from '../lib/relay';
import { testRegistry } from './test-events';

async function main(): Promise<void> {
  const schema = process.env.RELAY_SCHEMA as string;
  const dataSource = await connectTestSchema(schema, 'relay-process');
  const store = new EventStore({ dataSource, schema, registry: testRegistry });
  const kafka = testKafka('relay-process');
  const relay = new EventRelay({
    dataSource,
    store,
    producer: testProducer(kafka),
    topic: process.env.RELAY_TOPIC as string,
    batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 100),
    onPublished: (events) => process.stdout.write(`published ${events.length}\n`),
  });
  relay.start();
  process.stdout.write('relay started\n');
}

void main();
