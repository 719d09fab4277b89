// A relay in a process of its own, so that a test can kill it mid-batch.
// Env: DATABASE_URL, KAFKA_BROKERS, RELAY_SCHEMA, RELAY_TOPIC, RELAY_BATCH_SIZE.
import { createIdempotentProducer, createKafka } from '@warden/messaging';
import { createDataSource } from '@warden/platform';
import { EventStore } from '../lib/event-store';
import { EventRelay } from '../lib/relay';
import { testRegistry } from './test-events';

async function main(): Promise<void> {
  const schema = process.env.RELAY_SCHEMA as string;
  const dataSource = createDataSource({
    url: process.env.DATABASE_URL as string,
    schema,
    applicationName: 'relay-process',
    migrations: [],
  });
  await dataSource.initialize();
  const store = new EventStore({ dataSource, schema, registry: testRegistry });
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS as string).split(','), clientId: 'relay-process' });
  const relay = new EventRelay({
    dataSource,
    store,
    producer: createIdempotentProducer(kafka),
    topic: process.env.RELAY_TOPIC as string,
    batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 100),
    onPublished: (events) => process.stdout.write(`published ${events.length}\n`),
  });
  relay.start();
  process.stdout.write('relay started\n');
}

void main();
