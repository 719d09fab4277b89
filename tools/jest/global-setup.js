// Gives the integration and end-to-end tests real Postgres, Redis and Kafka.
// `npm test` starts local servers and sets DATABASE_URL, REDIS_URL and KAFKA_BROKERS; when a
// developer runs Jest directly without them, and Docker is available, containers are started here
// (testcontainers) and stopped by the global teardown.
const started = [];

module.exports = async function globalSetup() {
  const missing = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'].filter((name) => !process.env[name]);
  if (missing.length === 0) return;
  let containers;
  try {
    containers = {
      postgres: require('@testcontainers/postgresql'),
      redis: require('@testcontainers/redis'),
      kafka: require('@testcontainers/kafka'),
    };
    await require('testcontainers').getContainerRuntimeClient();
  } catch (error) {
    // Unit tests still run; integration suites fail with a message naming the missing variables.
    process.stderr.write(
      `\n${missing.join(', ')} not set and no container runtime (${error.message}); ` +
        'run the tests with `npm test`, which starts Postgres, Redis and Kafka.\n',
    );
    return;
  }
  if (!process.env.DATABASE_URL) {
    const pg = await new containers.postgres.PostgreSqlContainer('postgres:15').withDatabase('warden_test').start();
    started.push(pg);
    process.env.DATABASE_URL = pg.getConnectionUri();
  }
  if (!process.env.REDIS_URL) {
    const redis = await new containers.redis.RedisContainer('redis:7').start();
    started.push(redis);
    process.env.REDIS_URL = redis.getConnectionUrl();
  }
  if (!process.env.KAFKA_BROKERS) {
    const kafka = await new containers.kafka.KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
    started.push(kafka);
    process.env.KAFKA_BROKERS = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
  }
  globalThis.__WARDEN_CONTAINERS__ = started;
};
