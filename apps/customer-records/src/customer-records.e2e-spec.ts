import { randomBytes, randomUUID } from 'node:crypto';
import { type EventEnvelope, eventRegistry, Topics, verifyStreamChain } from '@warden/contracts';
import {
  createTestSchema,
  dropTestSchema,
  launchApp,
  readTopic,
  testEnv,
  testKafka,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
  freePort,
} from '@warden/testing';
import { RevocationStore } from '@warden/security';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { AbilityStub } from './test/ability-stub';

let token = '';
const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
const get = (url: string, headers: Record<string, string> = auth()) => fetch(url, { headers });
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...auth(), ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('customer-records (running app)', () => {
  const schema = uniqueName('e2e_customers');
  const topicPrefix = uniqueTopicPrefix('e2e-customers');
  let port = 0;
  let app: LaunchedApp;
  let inspector: DataSource;
  let issuer: TestTokenIssuer;
  let stub: AbilityStub;
  let redis: Redis;
  const userId = '01a224c1-0000-7000-8000-000000000001';

  beforeAll(async () => {
    port = await freePort();
    const env = testEnv();
    issuer = await TestTokenIssuer.start();
    // Every token user of this suite is staff (owns what they register).
    stub = await AbilityStub.start({}, { roles: ['staff'] });
    token = await issuer.issue({ userId, roles: ['staff'] });
    redis = new Redis(env.redisUrl);
    app = await launchApp('customer-records', {
      port,
      env: {
        CUSTOMER_RECORDS_PORT: String(port),
        CUSTOMER_RECORDS_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        HTTP_BODY_LIMIT: '64kb',
        AUTH_JWKS_URL: issuer.jwksUrl,
        AUTHORIZATION_URL: stub.url,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
    });
    ({ dataSource: inspector } = await createTestSchema('e2e_customers', [], schema));
  });

  afterAll(async () => {
    await app?.stop();
    await stub?.stop();
    await issuer?.stop();
    redis?.disconnect();
    await dropTestSchema(inspector, schema);
  });

  describe('registering a customer', () => {
    it('answers 201, reads back, stores CustomerRegistered and publishes it to Kafka', async () => {
      const res = await fetch(
        `${app.url}/v1/customers`,
        json(
          { name: 'Acme Trading Co.', company: 'Acme', tags: ['vip'], classification: 'confidential' },
          { 'x-correlation-id': 'e2e-corr-1', 'x-device-id': 'device-42', 'user-agent': 'e2e-test' },
        ),
      );
      expect(res.status).toBe(201);
      const created = (await res.json()) as { id: string; name: string; version: number };
      expect(created).toMatchObject({ name: 'Acme Trading Co.', classification: 'confidential', version: 1 });

      const read = await get(`${app.url}/v1/customers/${created.id}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id: created.id, company: 'Acme', tags: ['vip'], status: 'active' });

      const stored: Array<{ type: string; correlation_id: string }> = await inspector.query(
        `SELECT type, correlation_id FROM "${schema}".events WHERE stream_id = $1`,
        [`customer-${created.id}`],
      );
      expect(stored).toEqual([{ type: 'CustomerRegistered', correlation_id: 'e2e-corr-1' }]);

      const kafka = testKafka('e2e-customers-reader');
      const messages = await readTopic(kafka, `${topicPrefix}${Topics.events('customer-records')}`, {
        until: (read) => read.some((m) => m.key === `customer-${created.id}`),
      });
      const message = messages.find((m) => m.key === `customer-${created.id}`);
      expect(message).toBeDefined();
      const event: EventEnvelope = eventRegistry.decode(JSON.parse(message?.value ?? '{}'));
      expect(event).toMatchObject({
        type: 'CustomerRegistered',
        streamVersion: 1,
        correlationId: 'e2e-corr-1',
        actor: { userId, deviceId: 'device-42', userAgent: 'e2e-test' },
        data: { customerId: created.id, sensitive: { name: { ciphertext: expect.stringMatching(/^v1\./) } } },
      });
      expect(message?.value).not.toContain('Acme Trading Co.');
      expect(verifyStreamChain([event])).toBeNull();
    });

    it('answers 404 with the error shape for a customer that does not exist', async () => {
      const res = await get(`${app.url}/v1/customers/01a224c1-c8a4-72a6-ae07-f521a75c8ff2`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'CUSTOMER_NOT_FOUND',
        message: 'customer 01a224c1-c8a4-72a6-ae07-f521a75c8ff2 not found',
      });
    });
  });

  describe('bad input', () => {
    const expectError = async (res: Response, status: number, code: string, message: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { statusCode: number; code: string; message: string; error: string };
      expect(body.statusCode).toBe(status);
      expect(body.code).toBe(code);
      expect(body.message).toMatch(message);
      expect(typeof body.error).toBe('string');
    };

    it('malformed JSON is a 400 MALFORMED_JSON', async () => {
      await expectError(await fetch(`${app.url}/v1/customers`, json('{"name": "x",')), 400, 'MALFORMED_JSON', /not valid JSON/);
    });

    it('a wrong type is a 400 naming the field', async () => {
      await expectError(
        await fetch(`${app.url}/v1/customers`, json({ name: 42 })),
        400,
        'VALIDATION_FAILED',
        /body\.name: .*expected string/,
      );
    });

    it('an unknown field is a 400 naming the field', async () => {
      await expectError(
        await fetch(`${app.url}/v1/customers`, json({ name: 'Acme', isAdmin: true })),
        400,
        'VALIDATION_FAILED',
        /unknown field\(s\) isAdmin/,
      );
    });

    it('a value outside its enumeration is a 400', async () => {
      await expectError(
        await fetch(`${app.url}/v1/customers`, json({ name: 'Acme', classification: 'top-secret' })),
        400,
        'VALIDATION_FAILED',
        /body\.classification/,
      );
    });

    it('a body over the limit is a 413', async () => {
      await expectError(
        await fetch(`${app.url}/v1/customers`, json({ name: 'x'.repeat(100 * 1024) })),
        413,
        'PAYLOAD_TOO_LARGE',
        /larger than the limit/,
      );
    });

    it('an id that is not a UUID is a 400', async () => {
      await expectError(await get(`${app.url}/v1/customers/not-an-id`), 400, 'VALIDATION_FAILED', /param\.id/);
    });
  });

  describe('authentication', () => {
    const customersUrl = () => `${app.url}/v1/customers/01a224c1-c8a4-72a6-ae07-f521a75c8ff2`;
    const expectRefused = async (headers: Record<string, string>, code: string) => {
      const res = await get(customersUrl(), headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    };

    it('refuses a request without a token', async () => {
      await expectRefused({}, 'UNAUTHENTICATED');
    });

    it('refuses a token with a tampered payload, an expired one, one for another audience and alg none', async () => {
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const tampered = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');
      await expectRefused({ authorization: `Bearer ${header}.${tampered}.${signature}` }, 'INVALID_TOKEN');
      await expectRefused({ authorization: `Bearer ${await issuer.issue({ expiresIn: -10 })}` }, 'INVALID_TOKEN');
      await expectRefused({ authorization: `Bearer ${await issuer.issue({ audience: 'elsewhere' })}` }, 'INVALID_TOKEN');
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      await expectRefused({ authorization: `Bearer ${none}.${payload}.` }, 'INVALID_TOKEN');
    });

    it('refuses a revoked session and a user revoked everywhere at once', async () => {
      const sessionId = randomUUID();
      const sessionToken = await issuer.issue({ userId: 'user-revoked-session', sessionId });
      expect((await get(customersUrl(), { authorization: `Bearer ${sessionToken}` })).status).toBe(404);
      await new RevocationStore(redis).revokeSession(sessionId);
      await expectRefused({ authorization: `Bearer ${sessionToken}` }, 'TOKEN_REVOKED');

      const everywhere = `user-signed-out-${randomUUID()}`;
      const userToken = await issuer.issue({ userId: everywhere });
      expect((await get(customersUrl(), { authorization: `Bearer ${userToken}` })).status).toBe(404);
      await new RevocationStore(redis).revokeUser(everywhere);
      await expectRefused({ authorization: `Bearer ${userToken}` }, 'TOKEN_REVOKED');
    });
  });

  describe('operations endpoints', () => {
    it('reports readiness of Postgres, Redis and Kafka, serves metrics and the OpenAPI document', async () => {
      const ready = await fetch(`${app.url}/health/ready`); // public
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        details: { postgres: { status: 'up' }, redis: { status: 'up' }, kafka: { status: 'up' } },
      });
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(/http_request_duration_seconds_bucket/);
      expect(metrics).toMatch(/warden_relay_published_events_total/);
      expect(metrics).toMatch(/# TYPE warden_consumer_lag_messages gauge/);
      const docs = await fetch(`${app.url}/docs-json`);
      expect(docs.status).toBe(200);
      expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toContain('/v1/customers');
    });
  });
});
