import { eventRegistry } from '@warden/contracts';
import { EventStore, quoteSchema } from '@warden/event-store';
import { JwtVerifier, type Principal } from '@warden/security';
import { createTestSchema, dropTestSchema, TestTokenIssuer } from '@warden/testing';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AccessDenialService } from './access-denial.service';
import type { ErrorBody } from './errors';
import { Metrics } from './metrics';

const refusal: ErrorBody = { statusCode: 403, error: 'Forbidden', message: 'requires one of the roles: admin', code: 'FORBIDDEN' };

/** A refused Express request as the filter sees it (route matched, maybe a principal, maybe only the token). */
const requestOf = (options: { principal?: Principal; token?: string }): Request =>
  ({
    method: 'POST',
    baseUrl: '',
    route: { path: '/v1/rules/:id' },
    path: '/v1/rules/r1',
    params: { id: 'r1' },
    ip: '127.0.0.1',
    principal: options.principal,
    header: (name: string) => (name.toLowerCase() === 'authorization' && options.token ? `Bearer ${options.token}` : undefined),
  }) as unknown as Request;

const counted = async (metrics: Metrics, outcome: string): Promise<number> =>
  (await metrics.accessDenials.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

describe('AccessDenialService', () => {
  let dataSource: DataSource;
  let schema: string;
  let issuer: TestTokenIssuer;
  let verifier: JwtVerifier;

  beforeAll(async () => {
    ({ dataSource, schema } = await createTestSchema('access_denial'));
    issuer = await TestTokenIssuer.start();
    verifier = new JwtVerifier({ jwksUrl: issuer.jwksUrl, issuer: TestTokenIssuer.issuer, audience: TestTokenIssuer.audience });
  });
  afterAll(async () => {
    await issuer?.stop();
    await dropTestSchema(dataSource, schema);
  });

  const serviceOn = (ds: DataSource, metrics: Metrics) =>
    new AccessDenialService({ service: 'anomaly-alerting', store: new EventStore({ dataSource: ds, schema, registry: eventRegistry }), dataSource: ds, registry: eventRegistry, verifier, metrics });

  const deniedOf = async (userId: string): Promise<Array<{ type: string; data: Record<string, unknown>; actor: { userId: string } }>> =>
    dataSource.query(`SELECT type, data, actor FROM ${quoteSchema(schema)}.events WHERE stream_id = $1 ORDER BY stream_version`, [`access-anomaly-alerting-${userId}`]);

  it('appends AccessDenied to the person’s access stream in this service, reading the token when the guard set no principal', async () => {
    const metrics = new Metrics();
    const service = serviceOn(dataSource, metrics);
    const userId = uuidv7();
    await service.record(requestOf({ token: await issuer.issue({ userId, roles: ['staff'] }) }), refusal);
    await service.beforeApplicationShutdown();

    const events = await deniedOf(userId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'AccessDenied',
      data: { userId, action: 'create', subject: 'Rule', resourceId: 'r1', reason: 'role_required' },
      actor: { userId },
    });
    expect(await counted(metrics, 'recorded')).toBe(1);
  });

  it('records nothing for a service principal or a request without a valid token', async () => {
    const metrics = new Metrics();
    const service = serviceOn(dataSource, metrics);
    const system: Principal = { userId: 'system:exports', sessionId: uuidv7(), username: 'system:exports', roles: ['system'], teamId: null, issuedAt: 0 };
    await service.record(requestOf({ principal: system }), refusal);
    await service.record(requestOf({ token: 'e30.e30.forged' }), refusal);
    await service.beforeApplicationShutdown();
    expect(await deniedOf('system:exports')).toEqual([]);
    expect(await counted(metrics, 'recorded')).toBe(0);
  });

  it('fails open: when the event store cannot be written it logs, counts and resolves (the 403 still goes out)', async () => {
    const metrics = new Metrics();
    const { dataSource: broken, schema: brokenSchema } = await createTestSchema('access_denial_down');
    await dropTestSchema(broken, brokenSchema); // a real database connection, closed: every write fails
    const service = new AccessDenialService({
      service: 'anomaly-alerting',
      store: new EventStore({ dataSource: broken, schema: brokenSchema, registry: eventRegistry }),
      dataSource: broken,
      registry: eventRegistry,
      verifier,
      metrics,
    });
    const userId = uuidv7();
    const principal: Principal = { userId, sessionId: uuidv7(), username: 'u', roles: ['staff'], teamId: null, issuedAt: 0 };
    await expect(service.record(requestOf({ principal }), refusal)).resolves.toBeUndefined();
    expect(await counted(metrics, 'unrecorded')).toBe(1);
    expect(await counted(metrics, 'recorded')).toBe(0);
  });
});
