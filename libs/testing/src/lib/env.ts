import { randomBytes } from 'node:crypto';

export type TestEnv = { databaseUrl: string; redisUrl: string; kafkaBrokers: string[] };

/**
 * The real Postgres, Redis and Kafka the tests use, from DATABASE_URL, REDIS_URL and
 * KAFKA_BROKERS (`npm test` sets them; the Jest global setup starts containers when they are
 * missing and Docker is available).
 */
export function testEnv(): TestEnv {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
  const missing = Object.entries({ DATABASE_URL, REDIS_URL, KAFKA_BROKERS })
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length) {
    throw new Error(`integration tests need ${missing.join(', ')}: run them with \`npm test\``);
  }
  return {
    databaseUrl: DATABASE_URL as string,
    redisUrl: REDIS_URL as string,
    kafkaBrokers: (KAFKA_BROKERS as string).split(',').map((b) => b.trim()),
  };
}

/** A name no other suite uses: for a suite's own schema, topic prefix or consumer group. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A topic prefix of the suite's own, so suites share one broker without seeing each other's messages. */
export function uniqueTopicPrefix(prefix: string): string {
  return `${uniqueName(prefix).replace(/_/g, '-')}.`;
}
