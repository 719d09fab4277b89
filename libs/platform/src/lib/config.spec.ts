import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig, portSchema } from './config';

/** The ConfigError `run` throws; fails the test if it throws nothing or something else. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig', () => {
  describe('with the base schema and an empty environment', () => {
    it('applies every default', () => {
      expect(loadConfig(baseConfigSchema, {})).toEqual({
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/warden',
        REDIS_URL: 'redis://127.0.0.1:6379',
        KAFKA_BROKERS: ['127.0.0.1:9092'],
        KAFKA_TOPIC_PREFIX: '',
        LOG_LEVEL: 'info',
        HTTP_BODY_LIMIT: '1mb',
        MIGRATE_ON_BOOT: true,
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 0,
        INBOX_RETENTION_DAYS: 14,
        INBOX_SWEEP_MS: 3_600_000,
        REVOCATION_TRACKING_STALENESS_MS: 500,
        RELAY_READ_EVENTS_LINGER_MS: 100,
        AUTH_JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
        AUTH_ISSUER: 'warden-authorization',
        AUTH_AUDIENCE: 'warden',
      });
    });
  });

  describe('with valid variables', () => {
    it('reads and converts them', () => {
      const config = loadConfig(baseConfigSchema, {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://app@db.internal:5432/warden',
        REDIS_URL: 'rediss://cache.internal:6380',
        KAFKA_BROKERS: 'kafka-1:9092, kafka-2.internal:9093',
        LOG_LEVEL: 'warn',
        HTTP_BODY_LIMIT: '512KB',
        MIGRATE_ON_BOOT: 'false',
      });
      expect(config).toMatchObject({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://app@db.internal:5432/warden',
        REDIS_URL: 'rediss://cache.internal:6380',
        KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2.internal:9093'],
        LOG_LEVEL: 'warn',
        HTTP_BODY_LIMIT: '512KB',
        MIGRATE_ON_BOOT: false,
      });
    });

    it('ignores variables the schema does not define', () => {
      expect(loadConfig(baseConfigSchema, { PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
    });
  });

  describe('with a bad variable', () => {
    it.each([
      ['DATABASE_URL', 'mysql://root@127.0.0.1:3306/warden', /^DATABASE_URL: must be a postgres:\/\/ URL$/],
      ['DATABASE_URL', 'not a url', /^DATABASE_URL: must be a postgres:\/\/ URL$/],
      ['REDIS_URL', 'http://127.0.0.1:6379', /^REDIS_URL: must be a redis:\/\/ URL$/],
      ['KAFKA_BROKERS', '127.0.0.1', /^KAFKA_BROKERS\.0: each broker must be host:port$/],
      ['KAFKA_BROKERS', 'kafka-1:9092,kafka-2', /^KAFKA_BROKERS\.1: each broker must be host:port$/],
      ['KAFKA_BROKERS', '', /^KAFKA_BROKERS\.0: each broker must be host:port$/],
      ['LOG_LEVEL', 'verbose', /^LOG_LEVEL: /],
      ['HTTP_BODY_LIMIT', '10gb', /^HTTP_BODY_LIMIT: must look like 512kb or 1mb$/],
      ['HTTP_BODY_LIMIT', 'lots', /^HTTP_BODY_LIMIT: must look like 512kb or 1mb$/],
      ['MIGRATE_ON_BOOT', 'maybe', /^MIGRATE_ON_BOOT: /],
      ['NODE_ENV', 'staging', /^NODE_ENV: /],
      ['INBOX_RETENTION_DAYS', '0', /^INBOX_RETENTION_DAYS: /],
      ['INBOX_SWEEP_MS', '10', /^INBOX_SWEEP_MS: /],
    ])('refuses %s=%j with a message naming it', (variable, value, problem) => {
      const error = configError(() => loadConfig(baseConfigSchema, { [variable]: value }));
      expect(error.problems).toEqual([expect.stringMatching(problem)]);
      expect(error.message).toContain(`  - ${variable}`);
      expect(error.name).toBe('ConfigError');
    });
  });

  describe('with several bad variables', () => {
    it('names every one of them at once', () => {
      const error = configError(() =>
        loadConfig(baseConfigSchema, { DATABASE_URL: 'nope', LOG_LEVEL: 'loud', HTTP_BODY_LIMIT: 'big' }),
      );
      expect(error.problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
        'DATABASE_URL',
        'HTTP_BODY_LIMIT',
        'LOG_LEVEL',
      ]);
      expect(error.message).toMatch(/^invalid configuration:\n {2}- /);
    });
  });

  describe('when a bad variable holds a credential', () => {
    it('does not repeat its value in the error', () => {
      const password = 'hunter2-do-not-log';
      const error = configError(() =>
        loadConfig(baseConfigSchema, { DATABASE_URL: `mysql://app:${password}@db/warden` }),
      );
      expect(error.message).toContain('DATABASE_URL');
      expect(error.message).not.toContain(password);
    });
  });

  describe('with a service schema extending the base', () => {
    const serviceSchema = baseConfigSchema.extend({ CUSTOMER_RECORDS_PORT: portSchema(3100) });

    it('applies the port default and converts a given port', () => {
      expect(loadConfig(serviceSchema, {}).CUSTOMER_RECORDS_PORT).toBe(3100);
      expect(loadConfig(serviceSchema, { CUSTOMER_RECORDS_PORT: '8080' }).CUSTOMER_RECORDS_PORT).toBe(8080);
    });

    it('refuses a port out of range, naming the variable', () => {
      const error = configError(() => loadConfig(serviceSchema, { CUSTOMER_RECORDS_PORT: '70000' }));
      expect(error.problems).toEqual([expect.stringMatching(/^CUSTOMER_RECORDS_PORT: /)]);
    });

    it('refuses a missing required variable, naming it', () => {
      const strict = baseConfigSchema.extend({ ENCRYPTION_KEY: z.string().min(32) });
      const error = configError(() => loadConfig(strict, {}));
      expect(error.problems).toEqual([expect.stringMatching(/^ENCRYPTION_KEY: /)]);
    });
  });
});
